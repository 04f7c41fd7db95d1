import { describe, expect, it } from 'vitest';
import { REPLY_WINDOW_MS, RoomTurns } from './archive.replies.js';

describe('archive replies (turn-taking in a room)', () => {
  it('answers another sender within the window; bursts, other rooms, late and out-of-order messages are not replies', () => {
    const turns = new RoomTurns();
    const t = 1_800_000_000_000;
    expect(turns.next('r1', 'staff', t, 'a')).toBeUndefined(); // first of the room
    expect(turns.next('r1', 'wm1', t + 1000, 'b')).toBe('a'); // answers staff
    expect(turns.next('r1', 'wm1', t + 2000, 'c')).toBeUndefined(); // same sender goes on
    expect(turns.next('r2', 'wm2', t + 2500, 'x')).toBeUndefined(); // another room has its own turns
    expect(turns.next('r1', 'wm2', t + 2000 + REPLY_WINDOW_MS, 'd')).toBe('c'); // at the window's edge
    expect(turns.next('r1', 'wm1', t + 2000 + 2 * REPLY_WINDOW_MS + 1, 'e')).toBeUndefined(); // too late
    expect(turns.next('r1', 'wm3', t, 'f')).toBeUndefined(); // older than the room's latest
    expect(turns.next('r1', 'wm3', t + 2000 + 2 * REPLY_WINDOW_MS + 5, 'g')).toBe('e'); // the older one did not take the turn
  });
});
