/** The bus of a daemon that runs alone: there is nobody to tell. */
import { type Bus, newBusStats } from './index.js';

export function noBus(): Bus {
  return {
    kind: 'none',
    stats: newBusStats(),
    connected: true,
    publishRegistryChange: () => undefined,
    publishTaskCancel: () => undefined,
    publishNotice: () => undefined,
    subscribe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
