/**
 * The WeCom (企业微信) library's public surface: the server-API client, its errors and errcode
 * table, the callback crypto (WXBizMsgCrypt), the callback XML/JSON envelope, and the API's
 * request and response types. It holds no state of its own and touches no database; scrm and
 * messaging import it from here.
 */
export { createWeComClient, type WeComClient } from './client.js';
export { createTokenCache, type CallSpec, type WeComClientOptions, type WeComLogger, type WeComTokenCache } from './request.js';
export {
  WeComError,
  WeComNetworkError,
  WeComBadResponseError,
  isWeComFailure,
  WECOM_ERRCODES,
  errcodeMeaning,
  RATE_LIMITED_ERRCODES,
  SYSTEM_BUSY_ERRCODE,
  RETRYABLE_ERRCODES,
  isRetryableErrcode,
  type ErrcodeMeaning,
} from './errcodes.js';
export {
  createWeComCrypto,
  computeSignature,
  decodeEncodingAesKey,
  pkcs7Pad,
  pkcs7Unpad,
  WeComCryptoError,
  WECOM_PAD_BLOCK,
  type WeComCrypto,
  type WeComCryptoOptions,
  type WeComCryptoErrorReason,
  type EncryptedMessage,
} from './crypto.js';
export {
  MAX_XML_BYTES,
  parseXml,
  buildXml,
  cdata,
  parseEnvelopeXml,
  parseEnvelopeJson,
  buildEnvelopeXml,
  buildReplyXml,
  parseReplyXml,
  buildReplyJson,
  decryptEnvelopeXml,
  encryptReplyXml,
  parseMessageXml,
  type XmlValue,
  type XmlObject,
  type XmlField,
  type CallbackEnvelope,
  type WeComMessage,
} from './crypto-xml.js';
export type * from './types.js';
