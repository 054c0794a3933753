/** Marks where the filter's own arguments start in a utility process's argv, whatever Electron puts before them. */
export const FILTER_ARGS_MARKER = '--greyward-filter-args';
