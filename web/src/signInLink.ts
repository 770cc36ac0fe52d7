import { takeFragmentToken } from './lib/signIn';

/**
 * The token of a sign-in link (…/#token=dl_…), taken out of the address bar as
 * this module loads. main.ts imports it first, before the router module reads
 * the current location: a router that saw the fragment would put it back.
 */
export const linkToken = takeFragmentToken(window.location, window.history);
