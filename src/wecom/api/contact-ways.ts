import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Contact ways (联系我) and the welcome message sent on an add through one. */
export function contactWayApi(r: WeComRequester) {
  return {
    /** `externalcontact/add_contact_way`: a "contact me" button or QR code. */
    addContactWay: (req: W.AddContactWayRequest) => r.write<W.AddContactWayResponse>('externalcontact/add_contact_way', req),
    /** `externalcontact/get_contact_way`. */
    getContactWay: (configId: string) => r.read<W.GetContactWayResponse>('externalcontact/get_contact_way', { config_id: configId }),
    /** `externalcontact/update_contact_way`: fields left out are kept. */
    updateContactWay: (req: W.UpdateContactWayRequest) => r.write<W.WeComOk>('externalcontact/update_contact_way', req, true),
    /** `externalcontact/del_contact_way`. */
    delContactWay: (configId: string) => r.write<W.WeComOk>('externalcontact/del_contact_way', { config_id: configId }),
    /** `externalcontact/list_contact_way`: config ids created in a time range, paged. */
    listContactWays: (req: W.ListContactWayRequest = {}) => r.read<W.ListContactWayResponse>('externalcontact/list_contact_way', req),
    /** `externalcontact/send_welcome_msg`: once per welcome_code, within 20 s of the add-contact event; never retried after a network error. */
    sendWelcomeMsg: (req: W.SendWelcomeMsgRequest) => r.write<W.WeComOk>('externalcontact/send_welcome_msg', req),
  };
}
