import { boardRecordSchema, sectionsRecordSchema, snapshotSchema, type BoardRecord, type ListedBoard, type SectionsRecord, type Snapshot } from '../../domain/boards';
import type { PinterestEnvironment } from '../../domain/pinterest';
import * as z from '../../zod';
import { boardsPartition } from './environment-records';
import type { DynamoTable, Page } from './table';

/**
 * One environment's board snapshot in the workflow table, all in the partition `BOARDS#<env>` (so a
 * disconnect removes it by key prefix): `BOARD#<id>` per board, `SECTIONS#<id>` per board whose
 * sections were fetched, `SNAPSHOT` for the last complete sync. Boards are written in batches: the
 * snapshot is derived data, rebuilt from Pinterest by every sync.
 */

const boardKey = (env: PinterestEnvironment, boardId: string) => ({ pk: boardsPartition(env), sk: `BOARD#${boardId}` });
const sectionsKey = (env: PinterestEnvironment, boardId: string) => ({ pk: boardsPartition(env), sk: `SECTIONS#${boardId}` });
const snapshotKey = (env: PinterestEnvironment) => ({ pk: boardsPartition(env), sk: 'SNAPSHOT' });
const boardItems = (env: PinterestEnvironment) => ({ partition: { name: 'pk', value: boardsPartition(env) }, sortBetween: { name: 'sk', from: 'BOARD#', to: 'BOARD#\uffff' } });
const sectionItems = (env: PinterestEnvironment) => ({ partition: { name: 'pk', value: boardsPartition(env) }, sortBetween: { name: 'sk', from: 'SECTIONS#', to: 'SECTIONS#\uffff' } });

export class BoardStore {
  constructor(
    private readonly table: DynamoTable,
    private readonly pause?: (ms: number) => Promise<void>,
  ) {}

  /** Writes boards into the snapshot; answers the number of BatchWriteItem calls. */
  async putBoards(records: readonly BoardRecord[]): Promise<number> {
    return this.table.batchPut(records.map((record) => ({ ...boardKey(record.environment, record.boardId), ...record })), this.pause);
  }

  async putBoard(record: BoardRecord): Promise<void> {
    await this.table.batchPut([{ ...boardKey(record.environment, record.boardId), ...record }], this.pause);
  }

  async getBoard(env: PinterestEnvironment, boardId: string): Promise<BoardRecord | undefined> {
    return this.table.get(boardKey(env, boardId), boardRecordSchema);
  }

  /**
   * One page of the snapshot in board-id order, of the boards `filter` keeps (all by default): the
   * snapshot is read in larger pages until `limit` boards are kept, and the cursor continues right
   * after the last one kept, so a filtered listing skips and repeats nothing. Each board kept carries
   * its section count when its sections were fetched (one more Query over the page's id range).
   */
  async listBoards(
    env: PinterestEnvironment,
    options: { limit: number; cursor?: string; filter?: (board: BoardRecord) => boolean },
  ): Promise<{ items: ListedBoard[]; cursor?: string }> {
    const kept: BoardRecord[] = [];
    let cursor = options.cursor;
    let next: string | undefined;
    scan: do {
      const page = await this.table.query(
        { ...boardItems(env), newestFirst: false, limit: options.filter === undefined ? options.limit : 100, ...(cursor === undefined ? {} : { cursor }) },
        boardRecordSchema,
      );
      for (const board of page.items) {
        if (options.filter !== undefined && !options.filter(board)) continue;
        kept.push(board);
        if (kept.length === options.limit) {
          const more = board !== page.items.at(-1) || page.cursor !== undefined;
          if (more) next = this.table.cursorAfter(boardKey(env, board.boardId));
          break scan;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    const counts = await this.sectionCounts(env, kept);
    const items = kept.map((board) => {
      const sectionCount = counts.get(board.boardId);
      return sectionCount === undefined ? board : { ...board, sectionCount };
    });
    return next === undefined ? { items } : { items, cursor: next };
  }

  /** Section counts of the given boards (consecutive in id order), from their cached sections. */
  private async sectionCounts(env: PinterestEnvironment, boards: readonly BoardRecord[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const first = boards.at(0);
    const last = boards.at(-1);
    if (first === undefined || last === undefined) return counts;
    const wanted = new Set(boards.map((board) => board.boardId));
    const range = { partition: { name: 'pk', value: boardsPartition(env) }, sortBetween: { name: 'sk', from: sectionsKey(env, first.boardId).sk, to: sectionsKey(env, last.boardId).sk } };
    let cursor: string | undefined;
    do {
      const page = await this.table.query({ ...range, newestFirst: false, limit: 100, ...(cursor === undefined ? {} : { cursor }) }, sectionsRecordSchema);
      for (const record of page.items) if (wanted.has(record.boardId)) counts.set(record.boardId, record.sections.length);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return counts;
  }

  /**
   * After a complete pass: removes the boards (and their cached sections) not written since `since`,
   * i.e. gone from Pinterest, then any cached sections whose board is gone (a sections fetch that
   * finished after its board was removed). Answers how many boards went.
   */
  async removeStale(env: PinterestEnvironment, since: string): Promise<number> {
    let removed = 0;
    const kept = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.table.query({ ...boardItems(env), newestFirst: false, limit: 200, ...(cursor === undefined ? {} : { cursor }) }, boardRecordSchema);
      for (const board of page.items) {
        if (board.syncedAt >= since) {
          kept.add(board.boardId);
          continue;
        }
        await this.table.consume(boardKey(env, board.boardId), z.unknown());
        await this.table.consume(sectionsKey(env, board.boardId), z.unknown());
        removed += 1;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    let sectionsCursor: string | undefined;
    do {
      const page: Page<SectionsRecord> = await this.table.query(
        { ...sectionItems(env), newestFirst: false, limit: 200, ...(sectionsCursor === undefined ? {} : { cursor: sectionsCursor }) },
        sectionsRecordSchema,
      );
      for (const record of page.items) if (!kept.has(record.boardId)) await this.table.consume(sectionsKey(env, record.boardId), z.unknown());
      sectionsCursor = page.cursor;
    } while (sectionsCursor !== undefined);
    return removed;
  }

  async getSections(env: PinterestEnvironment, boardId: string): Promise<SectionsRecord | undefined> {
    return this.table.get(sectionsKey(env, boardId), sectionsRecordSchema);
  }

  /**
   * Caches a board's sections. Only the sections record is written: the board record stays the sync's
   * (rewriting it here could put back an older `syncedAt` and let a running sync's clean-up drop it).
   */
  async putSections(env: PinterestEnvironment, record: SectionsRecord): Promise<void> {
    await this.table.batchPut([{ ...sectionsKey(env, record.boardId), ...record }], this.pause);
  }

  async getSnapshot(env: PinterestEnvironment): Promise<Snapshot | undefined> {
    return this.table.get(snapshotKey(env), snapshotSchema);
  }

  async putSnapshot(env: PinterestEnvironment, snapshot: Snapshot): Promise<void> {
    await this.table.batchPut([{ ...snapshotKey(env), ...snapshot }], this.pause);
  }

  /**
   * Whether a board a draft points at is still in the snapshot: `present`, `missing` (a complete sync
   * left it out), or `not_synced` (no complete sync yet, so nothing can be said).
   */
  async presence(env: PinterestEnvironment, boardId: string): Promise<'present' | 'missing' | 'not_synced'> {
    const [board, snapshot] = await Promise.all([this.getBoard(env, boardId), this.getSnapshot(env)]);
    if (board !== undefined) return 'present';
    return snapshot === undefined ? 'not_synced' : 'missing';
  }
}
