import { type Command, InvalidArgumentError, Option } from 'commander';
import { createSandbox } from './server.js';
import { SCENARIOS } from './scenarios.js';

const DEFAULT_PORT = 3100;
const DEFAULT_SANDBOX = `http://127.0.0.1:${DEFAULT_PORT}`;

const int = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
};

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface StartOptions {
  port: number;
  host: string;
  staff: number;
  customers: number;
  groups?: number;
  seed: string;
  corpId?: string;
  secret?: string;
  callbackToken?: string;
  aesKey?: string;
  rateLimit: number;
  json?: boolean;
  log?: boolean;
}

interface FireOptions {
  sandbox: string;
  url: string;
  scenario: string;
  userid?: string;
  externalUserid?: string;
  configId?: string;
  state?: string;
  welcomeCode: boolean;
  remark?: string;
  addTags?: string[];
  removeTags?: string[];
  reason?: string;
  owner?: string;
  chatId?: string;
  members?: string[];
  name?: string;
  joinScene?: number;
  invitor?: string;
  quitScene?: number;
  tagId?: string;
  groupId?: string;
  groupName?: string;
  token?: string;
  aesKey?: string;
  json?: boolean;
}

async function control(sandbox: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(new URL(path, sandbox), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new InvalidArgumentError(
      `cannot reach the sandbox at ${sandbox} (${(err as Error).message}); start it with \`siyu wecom-sandbox\` or pass --sandbox`,
    );
  }
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new InvalidArgumentError(`the sandbox refused: ${String(answer.error ?? res.status)}`);
  return answer;
}

/** Registers `siyu wecom-sandbox` (start), `… fire` and `… verify-url`. */
export function registerWeComSandboxCommand(program: Command): void {
  const cmd = program
    .command('wecom-sandbox')
    .description(
      "A local WeCom (企业微信) server: the calls Siyu's WeCom client makes, a seeded fake corp, and encrypted callbacks. See docs/wecom-sandbox.md",
    );

  cmd
    .command('start', { isDefault: true })
    .description('Start the sandbox (the default subcommand) and print the corp id, secret, callback Token and EncodingAESKey to configure')
    .option('--port <port>', 'port to listen on', int('--port', 0, 65535), DEFAULT_PORT)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--staff <n>', 'members of the fake corp', int('--staff', 1, 65535), 20)
    .option('--customers <n>', 'customers of the fake corp (200,000 take ~25 MB)', int('--customers', 0, 5_000_000), 2000)
    .option('--groups <n>', 'customer groups (default: twice the staff)', int('--groups', 0, 1_000_000))
    .option('--seed <seed>', 'same seed, same corp: ids, names, relations, tags, secret and keys', '1')
    .option('--corp-id <id>', 'corp id to use instead of the derived one')
    .option('--secret <secret>', 'app secret gettoken accepts, instead of the derived one')
    .option('--callback-token <token>', 'callback Token to encrypt with, instead of the derived one')
    .option('--aes-key <key>', 'callback EncodingAESKey (43 characters a-z A-Z 0-9), instead of the derived one')
    .option('--rate-limit <n>', 'calls per API per minute before errcode 45009; 0 for no limit', int('--rate-limit', 0, 100_000_000), 10_000)
    .option('--log', 'log every request')
    .option('--json', 'print the settings as JSON')
    .action(async (opts: StartOptions) => {
      const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
      const started = Date.now();
      const sandbox = createSandbox({
        seed,
        staff: opts.staff,
        customers: opts.customers,
        groups: opts.groups,
        corpId: opts.corpId,
        secret: opts.secret,
        callbackToken: opts.callbackToken,
        encodingAesKey: opts.aesKey,
        rateLimit: opts.rateLimit === 0 ? false : { limit: opts.rateLimit, windowMs: 60_000 },
        logger: opts.log ? { level: 'info' } : false,
      });
      const url = await sandbox.listen({ port: opts.port, host: opts.host });
      const c = sandbox.credentials;
      const info = {
        url,
        ...c,
        staff: sandbox.corp.staff.length,
        customers: sandbox.corp.customerCount,
        groups: sandbox.state.groups.groups.length,
        generatedInMs: Date.now() - started,
      };
      if (opts.json) process.stdout.write(JSON.stringify(info, null, 2) + '\n');
      else {
        process.stdout.write(
          [
            `WeCom sandbox listening on ${url}  (${info.staff} staff, ${info.customers} customers, ${info.groups} groups; seed ${opts.seed}; ${info.generatedInMs} ms)`,
            '',
            `  API base URL     ${url}          (instead of https://qyapi.weixin.qq.com)`,
            `  corp id          ${c.corpId}`,
            `  secret           ${c.secret}`,
            `  callback Token   ${c.callbackToken}`,
            `  EncodingAESKey   ${c.encodingAesKey}`,
            `  AgentID          ${c.agentId}`,
            '',
            `Send a callback:  siyu wecom-sandbox fire --url http://127.0.0.1:3000/<your callback path> --scenario add-contact`,
            `Sandbox state:    ${url}/sandbox/info`,
            '',
          ].join('\n'),
        );
      }
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  cmd
    .command('fire')
    .description("Make something happen in the running sandbox's corp and POST the encrypted event to a callback URL")
    .addHelpText(
      'after',
      `\nScenarios:\n${Object.entries(SCENARIOS)
        .map(([k, v]) => `  ${k.padEnd(21)} ${v}`)
        .join(
          '\n',
        )}\n\nExample:\n  siyu wecom-sandbox fire --url http://127.0.0.1:3000/wecom/callback --scenario add-contact --userid ZhangWei --state store_sh_001`,
    )
    .requiredOption('--url <url>', "the callback URL to POST to (your Siyu server's WeCom callback endpoint)")
    .addOption(new Option('--scenario <name>', 'what happens').choices(Object.keys(SCENARIOS)).makeOptionMandatory())
    .option('--sandbox <url>', 'the running sandbox', DEFAULT_SANDBOX)
    .option('--userid <userid>', 'the member (add-contact, edit-contact, del-*)')
    .option('--external-userid <id>', 'the customer (default for add-contact: a new customer)')
    .option('--config-id <id>', 'add-contact: the contact way (「联系我」) the customer scanned; its state is sent')
    .option('--state <state>', "add-contact: the State to send (default: the contact way's)")
    .option('--no-welcome-code', 'add-contact: send no WelcomeCode')
    .option('--remark <text>', 'edit-contact: the new remark')
    .option('--add-tags <ids>', 'edit-contact: tag ids to add, comma-separated', list)
    .option('--remove-tags <ids>', 'edit-contact: tag ids to remove, comma-separated', list)
    .option('--reason <reason>', 'transfer-fail: customer_refused or customer_limit_exceed')
    .option('--owner <userid>', 'group-create: the owner')
    .option('--chat-id <id>', 'group-*: the group (default: the first)')
    .option('--members <ids>', 'group-create/join/quit: userids or external userids, comma-separated', list)
    .option('--name <name>', 'group-create/rename, tag-create/update: the name')
    .option('--join-scene <n>', 'group-join: 0 invited, 1 by link, 3 by QR code', int('--join-scene', 0, 3))
    .option('--invitor <id>', 'group-join: the group member (userid or external userid) who invited them (default: the owner)')
    .option('--quit-scene <n>', 'group-quit: 0 left, 1 removed by the owner', int('--quit-scene', 0, 1))
    .option('--tag-id <id>', 'tag-update/delete: the tag or tag group (default: the first tag)')
    .option('--group-id <id>', 'tag-create: the tag group to add to')
    .option('--group-name <name>', 'tag-create: create the tag in this group (a new group when absent)')
    .option('--token <token>', "callback Token (default: the sandbox's)")
    .option('--aes-key <key>', "callback EncodingAESKey (default: the sandbox's)")
    .option('--json', 'print the result as JSON')
    .action(async (o: FireOptions) => {
      const body = {
        url: o.url,
        scenario: o.scenario,
        userid: o.userid,
        externalUserid: o.externalUserid,
        configId: o.configId,
        state: o.state,
        welcomeCode: o.welcomeCode,
        remark: o.remark,
        addTags: o.addTags,
        removeTags: o.removeTags,
        reason: o.reason,
        owner: o.owner,
        chatId: o.chatId,
        members: o.members,
        name: o.name,
        joinScene: o.joinScene,
        invitor: o.invitor,
        quitScene: o.quitScene,
        tagId: o.tagId,
        groupId: o.groupId,
        groupName: o.groupName,
        token: o.token,
        encodingAesKey: o.aesKey,
      };
      const result = await control(o.sandbox, '/sandbox/callbacks/fire', body);
      if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        const event = result.event as Record<string, unknown>;
        process.stdout.write(
          `sent ${String(event.Event)}/${String(event.ChangeType)} to ${o.url}: HTTP ${String(result.status)} ${JSON.stringify(String(result.response).slice(0, 200))}\n${JSON.stringify(event, null, 2)}\n`,
        );
      }
      if (Number(result.status) >= 400) process.exitCode = 1;
    });

  cmd
    .command('verify-url')
    .description("Verify a callback URL as WeCom's console does: GET with an encrypted echostr; the URL must answer the plaintext")
    .requiredOption('--url <url>', 'the callback URL to verify')
    .option('--sandbox <url>', 'the running sandbox', DEFAULT_SANDBOX)
    .option('--token <token>', "callback Token (default: the sandbox's)")
    .option('--aes-key <key>', "callback EncodingAESKey (default: the sandbox's)")
    .action(async (o: { url: string; sandbox: string; token?: string; aesKey?: string }) => {
      const result = await control(o.sandbox, '/sandbox/callbacks/verify-url', { url: o.url, token: o.token, encodingAesKey: o.aesKey });
      process.stdout.write(
        result.ok
          ? `verified: ${o.url} answered the echostr\n`
          : `NOT verified: HTTP ${String(result.status)}, expected "${String(result.expected)}", got ${JSON.stringify(String(result.received).slice(0, 200))}\n`,
      );
      if (!result.ok) process.exitCode = 1;
    });
}
