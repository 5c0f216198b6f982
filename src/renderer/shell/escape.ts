import { onBeforeUnmount, watch } from 'vue';

/**
 * Escape closes the dialog or sheet on top, wherever the focus is (a dialog that is not focused, such as About
 * opened from the menu, would otherwise never see the key). Each open dialog is on a stack in the order it
 * opened; one window listener closes the last one and keeps the key from the editor's shortcuts.
 */
const open: (() => void)[] = [];
let listening = false;

function onKey(e: KeyboardEvent): void {
  if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing) return;
  const close = open[open.length - 1];
  if (!close) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  close();
}

/** Closes with Escape while `isOpen()` (always, by default) and the component is mounted. */
export function useEscapeToClose(close: () => void, isOpen: () => boolean = () => true): void {
  if (!listening && typeof window !== 'undefined') {
    window.addEventListener('keydown', onKey);
    listening = true;
  }
  const remove = () => {
    const i = open.lastIndexOf(close);
    if (i >= 0) open.splice(i, 1);
  };
  watch(
    isOpen,
    (now) => {
      remove();
      if (now) open.push(close);
    },
    { immediate: true },
  );
  onBeforeUnmount(remove);
}
