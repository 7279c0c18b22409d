// RFC 4120 message codecs: strict DER in, minimal DER out (see ../der/). Every decoder throws
// only KrbDecodeError (field path, offset, RFC 4120 code) on malformed input.

export { peekApplicationTag, withoutBlockPadding } from "../der/reader.ts";
export {
  APP_AP_REP,
  APP_AP_REQ,
  APP_AUTHENTICATOR,
  APP_ENC_AP_REP_PART,
  decodeApRep,
  decodeApReq,
  decodeAuthenticator,
  decodeEncApRepPart,
  encodeApRep,
  encodeApReq,
  encodeAuthenticator,
  encodeEncApRepPart,
} from "./ap.ts";
export {
  decodeAuthorizationData,
  decodeChecksum,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeHostAddress,
  decodeHostAddresses,
  decodePaData,
  decodePrincipalName,
  encodeAuthorizationData,
  encodeChecksum,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeHostAddress,
  encodeHostAddresses,
  encodePaData,
  encodePrincipalName,
  PVNO,
} from "./common.ts";
export {
  APP_AS_REP,
  APP_AS_REQ,
  APP_ENC_AS_REP_PART,
  APP_ENC_TGS_REP_PART,
  APP_TGS_REP,
  APP_TGS_REQ,
  decodeAsRep,
  decodeAsReq,
  decodeEncAsRepPart,
  decodeEncKdcRepPart,
  decodeEncTgsRepPart,
  decodeKdcRep,
  decodeKdcReq,
  decodeKdcReqBody,
  decodeTgsRep,
  decodeTgsReq,
  encodeEncAsRepPart,
  encodeEncTgsRepPart,
  encodeKdcRep,
  encodeKdcReq,
  encodeKdcReqBody,
} from "./kdc.ts";
export { APP_KRB_ERROR, decodeKrbError, encodeKrbError } from "./krb-error.ts";
export {
  decodeEtypeInfo2,
  decodeMethodData,
  decodePaEncTsEnc,
  encodeEtypeInfo2,
  encodeMethodData,
  encodePaEncTsEnc,
  etypeInfo2FromPaData,
  findPaData,
} from "./padata.ts";
export { APP_ENC_TICKET_PART, APP_TICKET, decodeEncTicketPart, decodeTicket, encodeEncTicketPart, encodeTicket } from "./ticket.ts";
export * from "./types.ts";
