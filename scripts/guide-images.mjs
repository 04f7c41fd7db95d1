// `node scripts/guide-images.mjs`: copies the operator guide's screenshots (docs/guide/images/) from the e2e
// tests' test-artifacts/screens/, made 1,200 px wide by Chromium (there is no image tool in the toolchain;
// the e2e tests already drive Debian's Chromium through playwright-core). Run the e2e tests that take them
// first (docs/console.md lists which test takes which screenshot); images narrower than 1,200 px (the 390 px
// phone ones) are copied as they are.
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const FROM = join('test-artifacts', 'screens');
const TO = join('docs', 'guide', 'images');
const WIDTH = 1200;
const IMAGES = [
  'overview-1440.png',
  'profile-1440.png',
  'settings-users-1440.png',
  'scrm-connection-1440.png',
  'scrm-live-code-1440.png',
  'segment-builder-1440.png',
  'customers-filtered-1440.png',
  'journey-canvas-1440.png',
  'journey-canvas-error-1440.png',
  'messages-broadcast-1440.png',
  'rfm-report-1280.png',
  'guide-workbench-390.png',
];

/** A PNG's width and height, from its IHDR chunk. */
const sizeOf = (file) => {
  const b = readFileSync(file);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
};

const missing = IMAGES.filter((f) => !existsSync(join(FROM, f)));
if (missing.length > 0) {
  console.error(`missing in ${FROM}: ${missing.join(', ')} (run the e2e tests that take them)`);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
try {
  for (const f of IMAGES) {
    const src = join(FROM, f);
    const { width, height } = sizeOf(src);
    if (width <= WIDTH) {
      copyFileSync(src, join(TO, f));
    } else {
      const h = Math.round((height * WIDTH) / width);
      const page = await browser.newPage({ viewport: { width: WIDTH, height: h }, deviceScaleFactor: 1 });
      const data = `data:image/png;base64,${readFileSync(src).toString('base64')}`;
      await page.setContent(`<body style="margin:0"><img src="${data}" style="display:block;width:${WIDTH}px;height:${h}px"></body>`);
      await page.locator('img').evaluate((img) => img.decode());
      await page.screenshot({ path: join(TO, f), clip: { x: 0, y: 0, width: WIDTH, height: h } });
      await page.close();
    }
    console.log(`${f}: ${width}x${height} -> ${Math.round(statSync(join(TO, f)).size / 1024)} KB`);
  }
} finally {
  await browser.close();
}
