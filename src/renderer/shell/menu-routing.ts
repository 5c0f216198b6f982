import type { MenuCommand, MenuCommandName } from '../../shared/menu';

/** Who carries out menu commands: the shell does the file actions and About; the editor does the rest. */
export interface MenuTargets {
  newProject(templateId?: string): void;
  open(): void;
  openRecent(path: string): void;
  save(): void;
  saveAs(): void;
  about(): void;
  /** Runs an editor command by name ('edit.undo', 'view.fit', …); false when it has none or it does not apply. */
  editor(name: MenuCommandName): boolean;
  /** Says that a command cannot be carried out here. */
  unavailable(label: string): void;
}

/** Browser editing commands for the menu's Edit items when a text field has the focus. */
const TEXT_EDITING: Partial<Record<MenuCommandName, string>> = {
  'edit.undo': 'undo',
  'edit.redo': 'redo',
  'edit.cut': 'cut',
  'edit.copy': 'copy',
  'edit.paste': 'paste',
  'edit.delete': 'forwardDelete',
  'edit.selectAll': 'selectAll',
};

function typingIn(element: Element | null): boolean {
  if (!element) return false;
  if (element instanceof HTMLElement && element.isContentEditable) return true;
  return element.matches('input, textarea');
}

/**
 * Carries out a menu command. An Edit item chosen while a text field has the focus edits the text (on macOS
 * the menu takes such keys before the page does), everything else goes to its owner.
 */
export function routeMenuCommand(
  cmd: MenuCommand,
  to: MenuTargets,
  focused: Element | null = document.activeElement,
): void {
  switch (cmd.command) {
    case 'file.new':
      return to.newProject(cmd.templateId);
    case 'file.openRecent':
      return to.openRecent(cmd.path);
    case 'file.open':
      return to.open();
    case 'file.save':
      return to.save();
    case 'file.saveAs':
      return to.saveAs();
    case 'help.about':
      return to.about();
  }
  const textCommand = TEXT_EDITING[cmd.command];
  if (textCommand && typingIn(focused)) {
    document.execCommand(textCommand);
    return;
  }
  if (!to.editor(cmd.command)) {
    if (cmd.command === 'file.export') to.unavailable('Export');
  }
}
