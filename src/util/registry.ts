/** Named things in the order they were registered; a name registered twice is an error. */
export class Registry<T> {
  readonly #items = new Map<string, T>();

  /** `twice(name)`: the message for a name registered twice. */
  constructor(private readonly twice: (name: string) => string) {}

  add(name: string, item: T): void {
    if (this.#items.has(name)) throw new Error(this.twice(name));
    this.#items.set(name, item);
  }

  get(name: string): T | undefined {
    return this.#items.get(name);
  }

  all(): T[] {
    return [...this.#items.values()];
  }
}
