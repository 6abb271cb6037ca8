import type { FunctionId } from '../../shared/routes';

/**
 * Size budgets per function bundle (bytes; sizes and counts only, never times: the machine is
 * shared). Every function gets the defaults; one that truly needs more gets its own entry here with
 * the reason and the lighter alternatives measured first (none does today).
 */
export const defaultBudget = { ownBytes: 60 * 1024, otherThirdPartyBytes: 120 * 1024 };

export const budgetOverrides: Partial<Record<FunctionId, { ownBytes?: number; otherThirdPartyBytes?: number; reason: string }>> = {};

export function budgetFor(id: FunctionId): { ownBytes: number; otherThirdPartyBytes: number } {
  return { ...defaultBudget, ...budgetOverrides[id] };
}
