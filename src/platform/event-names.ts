/**
 * The vocabulary of timeline events the WeCom integration (scrm) records and other modules read:
 * event names, the property names they carry, and the values of those properties that mean
 * something to a reader.
 *
 * Why here and not in scrm: STYLE.md wants event names exported by the module that emits them,
 * but the reader that needs these (segments' community model) sits below scrm — scrm imports
 * segments, so segments importing scrm's index would make a cycle. Platform imports no module and
 * every module may import it, so the producer (scrm/handlers/chats.ts, scrm/ops/archive.service.ts)
 * and the reader (segments/models/community.ts) both take the names from this one file.
 */

/** Timeline events of WeCom customer groups and conversations. */
export const WECOM_EVENTS = {
  /** A customer joined a customer group (callback `change_external_chat`: create, or update add_member). */
  groupJoined: 'WeCom Group Joined',
  /** A customer left a customer group (update del_member, or the group was dismissed). */
  groupLeft: 'WeCom Group Left',
  /** On the inviter's profile: a customer they invited joined a group (join scene 1 or 2 and WeCom names a customer as invitor). */
  groupMemberInvited: 'WeCom Group Member Invited',
  /** A member of the corp's message to the customer (conversation archive). */
  messageSent: 'WeCom Message Sent',
  /** The customer's message: 1:1 to a member of the corp, or in a group when it carries `roomid` (conversation archive). */
  messageReceived: 'WeCom Message Received',
} as const;

/** Property names (under `properties`) of the events above. */
export const WECOM_PROPS = {
  /** The customer group of the group events: WeCom's chat_id. */
  chatId: 'chat_id',
  /** How the customer joined: groupchat/get's join_scene, see {@link WECOM_JOIN_SCENES}. */
  joinScene: 'join_scene',
  /** Who invited the customer, as WeCom names them (a userid or an external_userid), or null. */
  invitor: 'invitor',
  /** On `WeCom Group Member Invited`: the external_userid of the customer who joined. */
  invitee: 'invitee',
  /** On archive messages: the group the message was said in (WeCom's roomid, the chat_id of a customer group); absent for 1:1. */
  roomId: 'roomid',
  /** On a customer's group message that answers another member (see docs/scrm-operations.md): the msgid it answers. */
  replyTo: 'reply_to_msgid',
} as const;

/** groupchat/get's join_scene: 1 invited directly by a group member, 2 through an invitation link, 3 scanned the group QR code. */
export const WECOM_JOIN_SCENES = { invited: 1, invitedByLink: 2, qrCode: 3 } as const;

/** Join scenes that are an invitation by another group member. */
export const WECOM_INVITED_SCENES: readonly number[] = [WECOM_JOIN_SCENES.invited, WECOM_JOIN_SCENES.invitedByLink];

/**
 * A profile's first exposure to an experiment's arm. Two producers write it: insight's experiments
 * (their exposures route) and journeys' split step (its assignments); journeys sits below insight,
 * so the name lives here for both.
 */
export const EXPERIMENT_VIEWED_EVENT = 'Experiment Viewed';
