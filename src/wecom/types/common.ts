/** WeCom API shapes: Shapes every WeCom answer shares, and the access token. Field names are WeCom's own (see ../types.ts). */

/** Every WeCom answer carries these; `errcode` 0 is success (the client throws on any other). */
export interface WeComOk {
  errcode: number;
  errmsg: string;
}

/** An answer that pages with an opaque cursor; empty or absent when there are no more pages. */
export interface Cursored {
  next_cursor?: string;
}

// ── Tokens ───────────────────────────────────────────────────────────────────────────────

/** `GET /cgi-bin/gettoken?corpid=&corpsecret=`. */
export interface GetTokenResponse extends WeComOk {
  access_token: string;
  /** Seconds; 7200 in WeCom's answers. */
  expires_in: number;
}
