/** The customers area (a chunk of its own): search and the profile 360 page. */
export { CustomerListPage } from '../pages/customers/CustomerList.tsx';
export { CustomerProfilePage } from '../pages/customers/CustomerProfile.tsx';
