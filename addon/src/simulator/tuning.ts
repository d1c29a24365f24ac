/**
 * Test knobs of the simulator, read from the environment (never user options): how long each QR code
 * lives, how many a pairing shows, and how soon contacts read what they receive.
 */
export interface SimulatorTuning {
  qrTimeoutMs: number | undefined;
  qrCodes: number;
  readAfterMs: number | null;
}

export function simulatorTuning(env: NodeJS.ProcessEnv): SimulatorTuning {
  const number = (value: string | undefined): number | undefined => {
    const parsed = Number(value);
    return value !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
  };
  return {
    qrTimeoutMs: number(env.WA_SIMULATOR_QR_TTL_MS) || undefined,
    qrCodes: number(env.WA_SIMULATOR_QR_CODES) || 6,
    readAfterMs: number(env.WA_SIMULATOR_READ_AFTER_MS) ?? 1_000,
  };
}
