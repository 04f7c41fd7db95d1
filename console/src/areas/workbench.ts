/** The guide's workbench (a chunk of its own). */
export { WorkbenchPage } from '../pages/Workbench.tsx';
