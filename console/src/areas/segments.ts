/** The segments area (a chunk of its own): the list, the rule builder, a segment's page and the RFM report. */
export { RfmReportPage } from '../pages/RfmReport.tsx';
export { SegmentDetailPage } from '../pages/SegmentDetail.tsx';
export { SegmentEditorPage } from '../pages/SegmentEditor.tsx';
export { SegmentListPage } from '../pages/SegmentList.tsx';
