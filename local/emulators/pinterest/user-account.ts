import type { UserRoute } from './api';
import { MESSAGES } from './constants';
import { json } from './http';
import type { EmulatorUser } from './types';

/** `GET /v5/user_account` (API-NOTES.md §5; spec schema `Account`): the token's own account. */

export function accountBody(user: EmulatorUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    account_type: user.accountType,
    profile_image: user.profileImage ?? `https://i.pinimg.com/600x600_R/emulator/${user.id}.jpg`,
    website_url: user.websiteUrl ?? '',
    business_name: user.businessName ?? null,
    // Counts stay 0 until boards and Pins are emulated; then they come from the token's environment.
    board_count: 0,
    pin_count: 0,
    follower_count: 0,
    following_count: 0,
    monthly_views: 0,
    about: user.about ?? '',
  };
}

export const userAccountRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/user_account',
  category: 'org_read',
  auth: 'bearer',
  scopes: ['user_accounts:read'],
  forbidden: { code: 403, message: MESSAGES.userAccountForbidden },
  handle(_service, _req, caller) {
    return json(200, accountBody(caller.user));
  },
};
