import { describe, expect, it } from 'vitest';
import { createWeComCrypto, WeComCryptoError } from './crypto.js';
import {
  buildEnvelopeXml,
  buildReplyJson,
  buildReplyXml,
  buildXml,
  decryptEnvelopeXml,
  encryptReplyXml,
  parseEnvelopeJson,
  parseEnvelopeXml,
  parseMessageXml,
  parseReplyXml,
} from './crypto-xml.js';

const crypto = createWeComCrypto({ token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', receiveId: 'wx5823bf96d3bd56c7' });

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof WeComCryptoError ? err.reason : 'other';
  }
  return 'none';
};

describe('envelopes', () => {
  it('reads the envelope of WeCom sample callback and decrypts it with the query parameters', () => {
    const body = `<xml>
<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>
<AgentID><![CDATA[218]]></AgentID>
</xml>`;
    const envelope = parseEnvelopeXml(body);
    expect(envelope).toMatchObject({ toUserName: 'wx5823bf96d3bd56c7', agentId: '218' });
    const inner = decryptEnvelopeXml(crypto, { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' }, body);
    expect(parseMessageXml(inner)).toEqual({
      ToUserName: 'wx5823bf96d3bd56c7',
      FromUserName: 'mycreate',
      CreateTime: '1409659813',
      MsgType: 'text',
      Content: 'hello',
      MsgId: '4561255354251345929',
      AgentID: '218',
    });
  });

  it('builds the envelope WeCom posts and reads it back', () => {
    const out = crypto.encrypt('<xml/>');
    const xml = buildEnvelopeXml({ toUserName: 'wwcorp', encrypt: out.encrypt, agentId: '1000002' });
    expect(xml).toBe(
      `<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><Encrypt><![CDATA[${out.encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
    );
    expect(parseEnvelopeXml(xml)).toEqual({ toUserName: 'wwcorp', encrypt: out.encrypt, agentId: '1000002' });
  });

  it('builds the encrypted reply XML, which decrypts to the reply', () => {
    const xml = encryptReplyXml(crypto, '<xml><Content><![CDATA[ok]]></Content></xml>', '1409659813', '1372623149');
    expect(xml).toMatch(
      /^<xml><Encrypt><!\[CDATA\[.+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>1409659813<\/TimeStamp><Nonce><!\[CDATA\[1372623149\]\]><\/Nonce><\/xml>$/,
    );
    const reply = parseReplyXml(xml);
    expect(crypto.decrypt(reply.msgSignature, reply.timestamp, reply.nonce, reply.encrypt)).toBe('<xml><Content><![CDATA[ok]]></Content></xml>');
    expect(buildReplyXml(reply)).toBe(xml);
  });

  it('handles the JSON variant', () => {
    const out = crypto.encrypt('{"msgtype":"text"}', '1700000000', '99');
    expect(parseEnvelopeJson(JSON.stringify({ tousername: 'wwcorp', encrypt: out.encrypt, agentid: 1000002 }))).toEqual({
      toUserName: 'wwcorp',
      encrypt: out.encrypt,
      agentId: '1000002',
    });
    expect(parseEnvelopeJson({ encrypt: out.encrypt }).encrypt).toBe(out.encrypt);
    expect(JSON.parse(buildReplyJson(out))).toEqual({ encrypt: out.encrypt, msgsignature: out.msgSignature, timestamp: 1700000000, nonce: '99' });
    expect(reason(() => parseEnvelopeJson('{'))).toBe('malformed');
    expect(reason(() => parseEnvelopeJson({ tousername: 'x' }))).toBe('malformed');
  });

  it('refuses envelopes without Encrypt', () => {
    expect(reason(() => parseEnvelopeXml('<xml><ToUserName>x</ToUserName></xml>'))).toBe('malformed');
  });
});

describe('message XML', () => {
  it('parses an add_external_contact event, CDATA and plain text alike', () => {
    const xml = `<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID><State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>`;
    expect(parseMessageXml(xml)).toEqual({
      ToUserName: 'wwcorp',
      FromUserName: 'sys',
      CreateTime: '1403610513',
      MsgType: 'event',
      Event: 'change_external_contact',
      ChangeType: 'add_external_contact',
      UserID: 'zhangsan',
      ExternalUserID: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
      State: 'teststate',
      WelcomeCode: 'WELCOMECODE',
    });
  });

  it('reads MemChangeList items as a list, even a single one', () => {
    const one = parseMessageXml('<xml><ChatId>c</ChatId><MemChangeList><Item>Jack</Item></MemChangeList></xml>');
    expect(one.MemChangeList).toEqual({ Item: ['Jack'] });
    const two = parseMessageXml('<xml><MemChangeList>\n<Item><![CDATA[a]]></Item>\n<Item>b</Item></MemChangeList></xml>');
    expect(two.MemChangeList).toEqual({ Item: ['a', 'b'] });
  });

  it('round-trips what buildXml writes, including "]]>" inside text', () => {
    const xml = buildXml({ A: 'x]]>y', B: 3, C: ['p', 'q'], D: '', E: undefined, F: '<&>' });
    expect(parseMessageXml(xml)).toEqual({ A: 'x]]>y', B: '3', C: { Item: ['p', 'q'] }, D: '', F: '<&>' });
  });

  it('decodes the predefined and numeric references only', () => {
    expect(parseMessageXml('<xml><A>a &amp; b &#20013;&#x6587; &lt;&gt; &copy;</A><B><![CDATA[&amp;]]></B></xml>')).toEqual({
      A: 'a & b 中文 <> &copy;',
      B: '&amp;',
    });
  });

  it('refuses DOCTYPEs, entity declarations, malformed XML and prototype keys', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><A>&lol2;</A></xml>';
    const external = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>';
    for (const xml of [bomb, external, '<xml><A></xml>', '<other/>', '<xml><__proto__>x</__proto__></xml>', 'not xml', '<xml/><xml/>']) {
      expect(reason(() => parseMessageXml(xml))).toBe('malformed');
    }
  });
});
