/** The loyalty area (a chunk of its own): coupon templates and their editor. */
export { CouponTemplateEditorPage } from '../pages/CouponTemplateEditor.tsx';
export { CouponTemplateListPage } from '../pages/CouponTemplateList.tsx';
