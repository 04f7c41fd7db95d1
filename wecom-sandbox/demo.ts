/**
 * The demo brand's stand-ins (src/demo/sandboxes.ts is the port): WeCom sandboxes holding the
 * brand's corp, started in this process on a free port of 127.0.0.1, and the SMS gateway
 * stand-in. `siyu serve`, `siyu demo` and the tests give `createDemoSandboxes` to the composition
 * root; they live as long as the process (the sandbox keeps its state in memory).
 */
import type { DemoSandboxFactory, DemoWeComSandbox } from '../src/demo/index.js';
import { createSandbox, type Sandbox } from './server.js';
import { createSmsGateway } from './sms-gateway.js';

/** Builds the stand-ins on the server's clock. */
export const createDemoSandboxes: DemoSandboxFactory = (now) => {
  const sms = createSmsGateway({ now });
  const running: Sandbox[] = [];
  let timer: NodeJS.Timeout | undefined;
  return {
    sms,
    report(sinks, everyMs = 2000) {
      let busy = false;
      const flush = async () => {
        for (const [accessKeyId, ws] of sms.accountNames()) {
          if (sms.held(accessKeyId)) continue; // a demo loading takes its own
          for (const r of sms.takeReceipts(accessKeyId)) await sinks.receipts(ws, r);
          for (const url of sms.takeClicks(accessKeyId)) await sinks.click(url);
        }
      };
      clearInterval(timer);
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        flush()
          .catch(sinks.error)
          .finally(() => (busy = false));
      }, everyMs);
      timer.unref();
    },
    fetch: (input, init) => sms.fetch(input, init),
    async openWeCom(corp): Promise<DemoWeComSandbox> {
      const sb = createSandbox({ seed: corp.seed, brand: corp, tagGroups: corp.tagGroups, now, rateLimit: false });
      const apiBaseUrl = await sb.listen();
      running.push(sb);
      return {
        connection: { ...sb.credentials, apiBaseUrl },
        addRelations(relations) {
          for (const r of relations) {
            const addWay = r.addWay ?? (r.state ? 1 : 2);
            const id = sb.corp.addRelation(r.customer, sb.corp.findStaff(r.userid)!.index, {
              addWay,
              state: r.state,
              byCustomer: [1, 3, 4].includes(addWay),
              createTime: r.createTime,
            });
            if (r.remark) sb.corp.setRemark(id, { remark: r.remark });
            if (r.tags?.length)
              sb.corp.setRelationTags(
                id,
                r.tags.map((name) => sb.corp.tagByName(name)),
              );
          }
        },
        scan(configId, customer) {
          const sealed = sb.sealCallback({ scenario: 'add-contact', configId, externalUserid: sb.corp.externalUserid(customer) });
          return { query: sealed.query, body: sealed.body };
        },
      };
    },
    async close() {
      clearInterval(timer);
      for (const sb of running.splice(0)) await sb.close();
    },
  };
};
