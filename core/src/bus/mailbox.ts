/**
 * A bounded FIFO with an explicit overflow policy (ARCHITECTURE.md §4 "bounded mailboxes with an
 * explicit overflow policy"). beehive's module channels hold 1024 messages and a full one blocks
 * the sender (`beehive/pkg/core/context/context_channel.go` ChannelSizeDefault, Send); a
 * single-threaded event loop cannot block, so the policy says what gives instead.
 */
import { InvalidInputError } from '../errors.ts';
import type { MailboxOptions, OverflowPolicy } from './types.ts';

/** What `offer` did: queued the item, dropped one (maybe the item itself), or refused it. */
export type OfferResult<M> = { kind: 'queued' } | { kind: 'dropped'; dropped: M } | { kind: 'rejected' };

/** A fixed-capacity ring buffer that applies its overflow policy when full. */
export class Mailbox<M> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  private readonly slots: (M | undefined)[];
  private head = 0;
  private count = 0;

  constructor(options: MailboxOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new InvalidInputError(`mailbox capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.overflow = options.overflow;
    this.slots = new Array<M | undefined>(options.capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count === this.capacity;
  }

  /** Adds `item` at the tail, applying the overflow policy when the mailbox is full. */
  offer(item: M): OfferResult<M> {
    if (this.isFull()) {
      switch (this.overflow) {
        case 'reject':
          return { kind: 'rejected' };
        case 'drop-newest':
          return { kind: 'dropped', dropped: item };
        case 'drop-oldest': {
          const dropped = this.take() as M;
          this.push(item);
          return { kind: 'dropped', dropped };
        }
      }
    }
    this.push(item);
    return { kind: 'queued' };
  }

  /** Removes and returns the head, or undefined when empty. */
  take(): M | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    // Clear the slot so a consumed message can be garbage-collected.
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Removes and returns everything, head first. */
  clear(): M[] {
    const out: M[] = [];
    for (let item = this.take(); item !== undefined; item = this.take()) out.push(item);
    return out;
  }

  private push(item: M): void {
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }
}
