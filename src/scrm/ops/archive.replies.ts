/**
 * Which group messages of a conversation-archive import answer another member.
 *
 * WeCom's decrypted archive records carry no quote or thread reference for text (a quoted
 * message arrives as plain text), so a reply is told by turn-taking: a message in a group is a
 * reply when the message before it in the same room (`roomid`) was sent by someone else — a
 * member of the corp or another customer — at most {@link REPLY_WINDOW_MS} earlier. A burst of
 * messages by one sender after someone else's counts once. "Before" is in the order of the
 * import (the Finance SDK returns records in `seq` order, which is time order); a record older
 * than the room's latest is neither a reply nor a predecessor. Only the records of one import are
 * seen: the first group message of a file has no predecessor, so import a day's records in one
 * file rather than one record at a time.
 */

/** How soon after another member's message an answer counts as a reply: 10 minutes. */
export const REPLY_WINDOW_MS = 10 * 60_000;

/** The latest message seen in each room of one import. */
export class RoomTurns {
  private readonly last = new Map<string, { from: string; at: number; msgid: string }>();

  /**
   * Notes a sent message in a room and returns the msgid it answers, if it is a reply (see the
   * module comment). Call for every sent group record, in file order, customers' and staff's.
   */
  next(roomid: string, from: string, at: number, msgid: string): string | undefined {
    const prev = this.last.get(roomid);
    if (prev && at < prev.at) return undefined;
    this.last.set(roomid, { from, at, msgid });
    return prev && prev.from !== from && at - prev.at <= REPLY_WINDOW_MS ? prev.msgid : undefined;
  }
}
