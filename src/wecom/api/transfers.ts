import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Handover (在职继承 / 离职继承): transfers of customers between members, their results, unassigned customers. */
export function transferApi(r: WeComRequester) {
  return {
    /** `externalcontact/transfer_customer`: moves ≤ 100 customers of an employed member to another. */
    transferCustomer: (req: W.TransferCustomerRequest) => r.write<W.TransferCustomerResponse>('externalcontact/transfer_customer', req),
    /** `externalcontact/transfer_result`: how the customers of an employed member's transfer fared. */
    transferResult: (req: W.TransferResultRequest) => r.read<W.TransferResultResponse>('externalcontact/transfer_result', req),
    /** `externalcontact/resigned/transfer_customer`: moves ≤ 100 customers of a member who left. */
    resignedTransferCustomer: (req: W.ResignedTransferCustomerRequest) =>
      r.write<W.TransferCustomerResponse>('externalcontact/resigned/transfer_customer', req),
    /** `externalcontact/resigned/transfer_result`. */
    resignedTransferResult: (req: W.TransferResultRequest) => r.read<W.TransferResultResponse>('externalcontact/resigned/transfer_result', req),
    /** `externalcontact/get_unassigned_list`: customers of members who left, not yet reassigned. */
    getUnassignedList: (req: W.GetUnassignedListRequest = {}) => r.read<W.GetUnassignedListResponse>('externalcontact/get_unassigned_list', req),
  };
}
