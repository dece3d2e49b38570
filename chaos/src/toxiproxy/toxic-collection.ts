/**
 * A proxy's toxics, one chain per direction, and the live links they apply to —
 * Shopify/toxiproxy `toxic_collection.go`. Every change is applied to existing connections too
 * (`chainAddToxic` / `chainUpdateToxic` / `chainRemoveToxic`).
 */
import { ErrToxicNotFound } from './api-error.ts';
import { decodeNewToxic, decodeToxicUpdate } from './toxic-codec.ts';
import type { StreamDirection, ToxicWrapper } from './toxic-kind.ts';
import type { ToxicLink } from './toxic-link.ts';

export class ToxicCollection {
  private readonly chains: Record<StreamDirection, ToxicWrapper[]> = { upstream: [], downstream: [] };
  private readonly links = new Set<ToxicLink>();

  /** The toxics of one direction, in the order they apply. */
  chain(direction: StreamDirection): readonly ToxicWrapper[] {
    return [...this.chains[direction]];
  }

  /** Every toxic: upstream ones first, as `GetToxicArray` lists them. */
  list(): ToxicWrapper[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  get(name: string): ToxicWrapper | undefined {
    return this.list().find((t) => t.name === name);
  }

  /** `AddToxicJson`: decodes, checks and appends a toxic; throws the API's 400/409 errors. */
  add(body: unknown): ToxicWrapper {
    const toxic = decodeNewToxic(body, (name) => this.get(name) !== undefined);
    this.chains[toxic.direction].push(toxic);
    for (const link of this.linksOf(toxic.direction)) link.addToxic(toxic);
    return toxic;
  }

  /** `UpdateToxicJson`: new attributes and toxicity for a toxic, on live links too. */
  async update(name: string, body: unknown): Promise<ToxicWrapper> {
    const current = this.get(name);
    if (current === undefined) throw ErrToxicNotFound;
    const updated = decodeToxicUpdate(current, body);
    const chain = this.chains[updated.direction];
    chain[chain.indexOf(current)] = updated;
    await Promise.all(this.linksOf(updated.direction).map((link) => link.updateToxic(updated)));
    return updated;
  }

  /** `RemoveToxic`. */
  async remove(name: string): Promise<void> {
    const toxic = this.get(name);
    if (toxic === undefined) throw ErrToxicNotFound;
    const chain = this.chains[toxic.direction];
    chain.splice(chain.indexOf(toxic), 1);
    await Promise.all(this.linksOf(toxic.direction).map((link) => link.removeToxic(toxic)));
  }

  /** `ResetToxics`: removes every toxic. */
  async reset(): Promise<void> {
    for (const toxic of this.list()) await this.remove(toxic.name);
  }

  addLink(link: ToxicLink): void {
    this.links.add(link);
  }

  removeLink(link: ToxicLink): void {
    this.links.delete(link);
  }

  private linksOf(direction: StreamDirection): ToxicLink[] {
    return [...this.links].filter((l) => l.direction === direction);
  }
}
