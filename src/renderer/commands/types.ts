import type { Graph, GraphEdge, GraphNode } from '../../shared/graph';

/** A point in graph coordinates (the space node positions live in), or on screen, as the name says. */
export interface Point {
  x: number;
  y: number;
}

/** What is selected: node ids and edge keys (see `edgeKey`). */
export interface Selection {
  nodes: readonly string[];
  edges: readonly string[];
}

/** What Copy puts aside: some nodes and the edges among them (edges to outside nodes are left behind). */
export interface Clip {
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
}

/** The part of a keyboard event a shortcut looks at; a real KeyboardEvent fits. */
export interface KeyChord {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** What an edit returns: the next graph, and what to select afterwards when that changes (new nodes). */
export interface EditResult {
  graph: Graph;
  select?: Selection;
}

/**
 * An edit refused for a reason the user should read ("would make a cycle …"). Any other exception
 * thrown by an edit is a bug and is not caught.
 */
export class CommandError extends Error {
  override name = 'CommandError';
}

/**
 * What keyboard shortcuts and menu items act on: the editor's state and the few things that are not edits.
 * The editor store implements it; tests can pass a small fake.
 */
export interface EditorContext {
  readonly graph: Graph;
  readonly selection: Selection;
  readonly clipboard: Clip | null;
  /** Runs an edit through the history; returns the refusal reason, or null when it was applied. */
  run<A>(command: EditCommand<A>, args: A): string | null;
  undo(): void;
  redo(): void;
  select(selection: Selection): void;
  setClipboard(clip: Clip): void;
  fitView(): void;
  /** Zooms about the centre of the view. */
  zoomBy(factor: number): void;
  toggleShortcutSheet(): void;
}

/** Fields every command has: how it is named, shown and reached from the keyboard. */
interface CommandBase {
  /** Unique; menu commands use the same names ('edit.undo'), so that a menu click finds its command. */
  name: string;
  /** What the shortcut sheet and menus show. */
  label: string;
  /**
   * Key chords such as 'Mod+Shift+Z' (Mod is Ctrl, or ⌘ on a Mac). The first is the one shown; all of them work.
   * See keys.ts for the syntax.
   */
  keys?: readonly string[];
  /** The chords the shortcut sheet shows, when not all of them (the four arrows, not their Shift variants). */
  shownKeys?: readonly string[];
  /** A heading for the shortcut sheet. */
  group: 'Edit' | 'Arrange' | 'View' | 'Help';
}

/**
 * An edit: a pure function from a graph (and arguments) to the next graph. It never mutates its input.
 * Undo comes from snapshots taken by the history, so an edit needs no inverse.
 */
export interface EditCommand<A> extends CommandBase {
  kind: 'edit';
  /** Throws CommandError to refuse. Returning the same graph object means "nothing changed". */
  perform(graph: Graph, args: A): EditResult;
  /**
   * The arguments when a shortcut or menu item runs the command, read from the editor's state
   * (the selection, the clipboard); null when it does not apply (nothing selected).
   */
  argsFrom?(ctx: EditorContext, chord?: KeyChord): A | null;
  /**
   * Edits in a row with the same non-null key merge into one undo step (a drag, a burst of keystrokes in one
   * field), as long as they follow each other closely; see the history store.
   */
  coalesceKey?(args: A): string | null;
}

/** An action that is not itself an edit of the graph: undo, copy, zoom, the shortcut sheet. */
export interface EditorAction extends CommandBase {
  kind: 'action';
  run(ctx: EditorContext, chord?: KeyChord): void;
  /** False when the action has nothing to act on (Copy with nothing selected); the default is true. */
  enabled?(ctx: EditorContext): boolean;
}

/**
 * Anything the registry holds. An edit's argument type is forgotten there (methods are bivariant in their
 * parameters, so any EditCommand<A> fits EditCommand<unknown>); a run by name takes its arguments from `argsFrom`.
 */
export type Command = EditCommand<unknown> | EditorAction;
