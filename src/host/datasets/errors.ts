/**
 * The one error type of the dataset service. Its message is meant for the user as it stands: it names the
 * folder, class or file at fault and says what was expected. `path` and `className` repeat the culprit as data
 * so that the UI can highlight it.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    message: string,
    /** The folder or file at fault, when there is one. */
    readonly path?: string,
    /** The class at fault, when there is one. */
    readonly className?: string,
  ) {
    super(message);
  }
}
