import { matches } from './keys';
import type { Command, EditCommand, EditorAction, KeyChord } from './types';

/**
 * The commands the editor knows, by name. Shortcuts, menu items and the shortcut sheet all look here;
 * commands/index.ts registers every command file once.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, Command>();

  register(command: Command): void {
    if (this.byName.has(command.name)) throw new Error(`command '${command.name}' is registered twice`);
    for (const chord of command.keys ?? []) {
      const clash = this.list().find((c) => c.keys?.includes(chord));
      if (clash) throw new Error(`command '${command.name}' takes the shortcut ${chord}, already '${clash.name}'s`);
    }
    this.byName.set(command.name, command);
  }

  get(name: string): Command | undefined {
    return this.byName.get(name);
  }

  /** In registration order, which is the order of the shortcut sheet within each group. */
  list(): Command[] {
    return [...this.byName.values()];
  }

  /** The command a key event triggers, if any. */
  forKey(chord: KeyChord): Command | undefined {
    return this.list().find((c) => c.keys?.some((k) => matches(k, chord)));
  }
}

/** Types an edit against its own argument type; the registry then holds it erased. */
export function defineEdit<A>(command: Omit<EditCommand<A>, 'kind'>): EditCommand<A> {
  return { kind: 'edit', ...command };
}

export function defineAction(command: Omit<EditorAction, 'kind'>): EditorAction {
  return { kind: 'action', ...command };
}
