/** The SCRM (企业微信) area (a chunk of its own): every WeCom screen, routed below `scrm/` by the area itself. */
export { default as ScrmArea } from '../pages/scrm/ScrmArea.tsx';
