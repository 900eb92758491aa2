/** The daemon's name and version, as `mcpd --version` and serverInfo report them (kept equal to package.json by a test). */
export const NAME = 'mcpd';
export const VERSION = '0.1.0';
