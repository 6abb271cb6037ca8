import type { UserRoute } from './api';
import { MESSAGES } from './constants';
import { json } from './http';
import type { World } from './state';
import type { EmulatorUser } from './types';

/** `GET /v5/user_account` (spec schema `Account`): the token's own account. */

/** Counts come from the token's environment: boards the user owns, Pins the user created. */
export function accountBody(user: EmulatorUser, world: World): Record<string, unknown> {
  const boardCount = [...world.boards.values()].filter((board) => board.ownerId === user.id).length;
  const pinCount = [...world.pins.values()].filter((pin) => pin.creatorId === user.id).length;
  return {
    id: user.id,
    username: user.username,
    account_type: user.accountType,
    profile_image: user.profileImage ?? `https://i.pinimg.com/600x600_R/emulator/${user.id}.jpg`,
    website_url: user.websiteUrl ?? '',
    business_name: user.businessName ?? null,
    board_count: boardCount,
    pin_count: pinCount,
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
  readOnly: true,
  handle(service, _req, caller) {
    return json(200, accountBody(caller.user, service.store.world(caller.environment)));
  },
};
