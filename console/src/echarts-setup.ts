/**
 * The parts of ECharts the console's charts use (bar, line and Sankey series, grid, tooltip, legend),
 * registered on ECharts' core: a chunk of a third of the full library's size. Loaded lazily by
 * insight.tsx's EChart the first time a chart is shown.
 */
import { BarChart, LineChart, SankeyChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, SankeyChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** ECharts' `init`, with the parts above registered. */
export const init = echarts.init;
