import type { Executor } from '../../db/database.ts'
import type { Deps, ObservedDeposit } from '../../deps.ts'
import type { KycProvider } from '../../providers/kyc/kyc-provider.ts'
import { createSandboxKycProvider, type SandboxKycProvider } from '../../providers/kyc/sandbox/sandbox-kyc.ts'
import { sandboxKycRoutes } from '../../providers/kyc/sandbox/sandbox-kyc.routes.ts'
import type { PayoutProvider } from '../../providers/payout/payout-rail.ts'
import { createSandboxPayoutProvider } from '../../providers/payout/sandbox/sandbox-payout.ts'
import type { ScreeningProvider } from '../../providers/screening/screening.ts'
import { createSandboxScreening } from '../../providers/screening/sandbox/sandbox-screening.ts'
import type { ServerExtension } from '../../server.ts'
import { runEvery, type Loop } from '../../workers/loop.ts'
import { createBankCrypto } from './bank-accounts/bank-crypto.ts'
import { runChainSends } from './chain-sends/chain-send.service.ts'
import { RAILS, isRailId } from './countries/country.ts'
import { createFixedFxRateSource, SANDBOX_FX_RATES, type FxRateSource } from './fx/fx-rate.ts'
import { processKycInbox, reconcileKyc } from './kyc/kyc.service.ts'
import { handleOffRampDeposit } from './off-ramp/off-ramp.service.ts'
import { reconcilePayouts, runPendingPayouts } from './payouts/payout.service.ts'
import { loadRampSecret } from './ramp-secret.repo.ts'
import { DEFAULT_RAMP_SETTINGS, type RampRuntime, type RampSettings } from './ramp-runtime.ts'
import { KYC_WEBHOOK_PATH, rampRoutes } from './ramps.routes.ts'

export type { RampRuntime, RampSettings } from './ramp-runtime.ts'

export interface RampsOptions {
  /** Worker tick (default 1 s). */
  pollMs?: number
  /** Run the ramps workers in this process (default: the server's setting). Tests drive them by hand. */
  workers?: boolean
  settings?: Partial<RampSettings>
  /** Sandbox KYC decision delay after the hosted form is submitted (default 5 s on the injected clock). */
  kycReviewDelaySeconds?: number
  /** Replace or wrap providers (tests script failures this way). */
  payouts?: (sandbox: PayoutProvider, deps: Deps) => PayoutProvider
  screening?: ScreeningProvider
  fx?: FxRateSource
  /** Called with the runtime once it is built (tests keep a handle on it). */
  onReady?: (rt: RampRuntime & { sandboxKyc: SandboxKycProvider }) => void
}

const runtimes = new WeakMap<Deps, RampRuntime>()

/** The runtime the ramps extension built for these deps (tests and the chain hook use it). */
export function rampRuntimeFor(deps: Deps): RampRuntime | undefined {
  return runtimes.get(deps)
}

/**
 * The chain layer's hook for deposit addresses owned by an off-ramp: registered on
 * `deps.hooks.depositObserved`, called inside the watcher's transaction, once per transfer and status.
 */
export async function handleDepositObserved(deps: Deps, trx: Executor, deposit: ObservedDeposit): Promise<void> {
  if (deposit.ownerType !== 'off_ramp') return
  const rt = runtimes.get(deps)
  if (!rt) throw new Error('ramps are not running in this process')
  await handleOffRampDeposit(rt, trx, deposit)
}

/** One pass of every ramps worker, in dependency order; returns the number of items handled. */
export async function runRampWorkersOnce(rt: RampRuntime & { sandboxKyc?: SandboxKycProvider }): Promise<number> {
  let handled = 0
  if (rt.sandboxKyc) handled += await rt.sandboxKyc.deliverDueWebhooks()
  handled += await processKycInbox(rt)
  handled += await reconcileKyc(rt)
  handled += await runPendingPayouts(rt)
  handled += await reconcilePayouts(rt)
  handled += await runChainSends(rt)
  return handled
}

export function rampsExtension(options: RampsOptions = {}): ServerExtension {
  return {
    async start(deps) {
      const settings = { ...DEFAULT_RAMP_SETTINGS, ...options.settings }
      const [bankSecret, kycSecret] = [await loadRampSecret(deps.db, 'ramps_bank_v1'), await loadRampSecret(deps.db, 'ramps_kyc_sandbox_v1')]
      const sandboxKyc = createSandboxKycProvider({
        db: deps.db,
        clock: deps.clock,
        secret: kycSecret,
        publicBase: () => deps.urls.publicBase,
        reviewDelaySeconds: options.kycReviewDelaySeconds ?? 5,
        webhookPath: KYC_WEBHOOK_PATH,
      })
      const sandboxPayouts = createSandboxPayoutProvider({
        db: deps.db,
        clock: deps.clock,
        timing: (rail) => (isRailId(rail) ? { settlementSeconds: RAILS[rail].settlementSeconds, returnWindowSeconds: RAILS[rail].returnWindowSeconds } : undefined),
      })
      const kyc: KycProvider = sandboxKyc
      const rt: RampRuntime & { sandboxKyc: SandboxKycProvider } = {
        deps,
        kyc,
        payouts: options.payouts ? options.payouts(sandboxPayouts, deps) : sandboxPayouts,
        screening: options.screening ?? createSandboxScreening(),
        fx: options.fx ?? createFixedFxRateSource(SANDBOX_FX_RATES, () => deps.clock.now()),
        bankCrypto: createBankCrypto(bankSecret),
        settings,
        sandboxKyc,
      }
      runtimes.set(deps, rt)
      const hook = (trx: Executor, deposit: ObservedDeposit) => handleDepositObserved(deps, trx, deposit)
      deps.hooks.depositObserved.push(hook)
      options.onReady?.(rt)

      const workers: Loop[] = []
      if (options.workers ?? deps.config.runWorkers) {
        const pollMs = options.pollMs ?? 1000
        workers.push(
          runEvery('ramps-kyc', pollMs, async () => {
            await sandboxKyc.deliverDueWebhooks()
            await processKycInbox(rt)
            await reconcileKyc(rt)
          }, deps.log),
          runEvery('ramps-payouts', pollMs, async () => {
            await runPendingPayouts(rt)
            await reconcilePayouts(rt)
          }, deps.log),
          runEvery('ramps-sends', pollMs, async () => {
            await runChainSends(rt)
          }, deps.log),
        )
      }
      return {
        plugins: [sandboxKycRoutes(sandboxKyc), rampRoutes(rt)],
        workers,
        stop: async () => {
          const index = deps.hooks.depositObserved.indexOf(hook)
          if (index >= 0) deps.hooks.depositObserved.splice(index, 1)
          runtimes.delete(deps)
        },
      }
    },
  }
}
