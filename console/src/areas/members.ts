/** The members area (a chunk of its own): the members list and detail, the tier editor, the earning rules. */
export { MemberListPage } from '../pages/MemberList.tsx';
export { MemberDetailPage } from '../pages/MemberDetail.tsx';
export { TierEditorPage } from '../pages/TierEditor.tsx';
export { EarningRulesPage } from '../pages/EarningRules.tsx';
