// Why: on/off-ramps need customers with KYC, encrypted bank accounts, quotes, the two flows with their
// provider calls (payouts, on-chain sends) persisted before they are made, a raw inbox for provider
// webhooks, and a double-entry ledger whose rows are append-only and whose guarded balances never go
// below zero (enforced here, not only in code).
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    CREATE TABLE ramp_customer (
      id uuid PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL CHECK (environment IN ('devnet', 'mainnet')),
      customer_type text NOT NULL CHECK (customer_type IN ('individual', 'business')),
      reference text,
      first_name text,
      last_name text,
      business_name text,
      email text,
      country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
      birth_date date,
      status text NOT NULL CHECK (status IN ('active', 'blocked')),
      screening_status text NOT NULL CHECK (screening_status IN ('clear', 'hit')),
      screening_reason text,
      kyc_status text NOT NULL DEFAULT 'not_started'
        CHECK (kyc_status IN ('not_started', 'pending', 'approved', 'rejected', 'needs_review', 'expired')),
      kyc_level text CHECK (kyc_level IN ('basic', 'standard', 'enhanced')),
      kyc_approved_until timestamptz,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX ramp_customer_list ON ramp_customer (merchant_id, environment, id DESC);
    CREATE UNIQUE INDEX ramp_customer_reference ON ramp_customer (merchant_id, environment, reference) WHERE reference IS NOT NULL;

    CREATE TABLE ramp_kyc_verification (
      id uuid PRIMARY KEY,
      customer_id uuid NOT NULL REFERENCES ramp_customer(id),
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      level text NOT NULL CHECK (level IN ('basic', 'standard', 'enhanced')),
      status text NOT NULL CHECK (status IN ('not_started', 'pending', 'approved', 'rejected', 'needs_review', 'expired')),
      provider text NOT NULL,
      provider_ref text NOT NULL,
      hosted_url text NOT NULL,
      reason text,
      link_expires_at timestamptz NOT NULL,
      approved_until timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      decided_at timestamptz,
      UNIQUE (provider, provider_ref)
    );
    CREATE INDEX ramp_kyc_customer ON ramp_kyc_verification (customer_id, id DESC);
    CREATE INDEX ramp_kyc_expiry ON ramp_kyc_verification (link_expires_at) WHERE status = 'not_started';
    CREATE INDEX ramp_kyc_approval_expiry ON ramp_kyc_verification (approved_until) WHERE status = 'approved';

    -- provider webhooks exactly as received, before anything is parsed: nothing a provider says is lost
    CREATE TABLE ramp_provider_inbox (
      id uuid PRIMARY KEY,
      provider text NOT NULL,
      received_at timestamptz NOT NULL,
      headers jsonb NOT NULL,
      raw_body bytea NOT NULL,
      status text NOT NULL CHECK (status IN ('received', 'processed', 'rejected', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      processed_at timestamptz,
      error text
    );
    CREATE INDEX ramp_inbox_due ON ramp_provider_inbox (next_attempt_at) WHERE status = 'received';

    CREATE TABLE ramp_bank_account (
      id uuid PRIMARY KEY,
      customer_id uuid NOT NULL REFERENCES ramp_customer(id),
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      country text NOT NULL,
      currency text NOT NULL,
      rail text NOT NULL,
      holder_name text NOT NULL,
      details_ciphertext bytea NOT NULL,
      key_version text NOT NULL,
      fingerprint bytea NOT NULL,
      masked jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      deleted_at timestamptz
    );
    CREATE INDEX ramp_bank_account_customer ON ramp_bank_account (customer_id, id DESC);
    CREATE UNIQUE INDEX ramp_bank_account_unique ON ramp_bank_account (customer_id, rail, fingerprint) WHERE deleted_at IS NULL;

    CREATE TABLE ramp_quote (
      id uuid PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      customer_id uuid NOT NULL REFERENCES ramp_customer(id),
      direction text NOT NULL CHECK (direction IN ('off_ramp', 'on_ramp')),
      network text NOT NULL,
      token_id integer NOT NULL,
      token_symbol text NOT NULL,
      token_decimals integer NOT NULL,
      country text NOT NULL,
      rail text NOT NULL,
      currency text NOT NULL,
      currency_exponent integer NOT NULL,
      token_units numeric(78, 0) NOT NULL CHECK (token_units > 0),
      gross_fiat_minor bigint NOT NULL CHECK (gross_fiat_minor > 0),
      fee_fiat_minor bigint NOT NULL CHECK (fee_fiat_minor >= 0),
      net_fiat_minor bigint NOT NULL CHECK (net_fiat_minor > 0),
      usd_millis bigint NOT NULL CHECK (usd_millis > 0),
      rate_answer numeric(78, 0) NOT NULL,
      rate_decimals integer NOT NULL,
      rate_provider text NOT NULL,
      fixed_by text NOT NULL CHECK (fixed_by IN ('source', 'destination')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX ramp_quote_customer ON ramp_quote (customer_id, created_at DESC);

    CREATE TABLE ramp_off_ramp (
      id uuid PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      customer_id uuid NOT NULL REFERENCES ramp_customer(id),
      quote_id uuid NOT NULL UNIQUE REFERENCES ramp_quote(id),
      bank_account_id uuid NOT NULL REFERENCES ramp_bank_account(id),
      status text NOT NULL CHECK (status IN ('awaiting_deposit', 'funds_received', 'payout_submitted', 'paid', 'failed', 'returned')),
      network text NOT NULL,
      token_id integer NOT NULL,
      deposit_address text NOT NULL,
      deposit_address_id text NOT NULL,
      refund_address text NOT NULL,
      expected_units numeric(78, 0) NOT NULL,
      received_units numeric(78, 0) NOT NULL DEFAULT 0,
      payout_units numeric(78, 0) NOT NULL DEFAULT 0,
      gross_fiat_minor bigint NOT NULL,
      fee_fiat_minor bigint NOT NULL,
      net_fiat_minor bigint NOT NULL,
      usd_millis bigint NOT NULL,
      rate_answer numeric(78, 0) NOT NULL,
      rate_decimals integer NOT NULL,
      is_requoted boolean NOT NULL DEFAULT false,
      failure_code text,
      failure_message text,
      rate_locked_until timestamptz NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz
    );
    CREATE INDEX ramp_off_ramp_list ON ramp_off_ramp (merchant_id, environment, id DESC);
    CREATE INDEX ramp_off_ramp_customer ON ramp_off_ramp (customer_id, created_at);

    -- every confirmed transfer to an off-ramp address, credited once
    CREATE TABLE ramp_deposit (
      id uuid PRIMARY KEY,
      off_ramp_id uuid NOT NULL REFERENCES ramp_off_ramp(id),
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      network text NOT NULL,
      tx_hash text NOT NULL,
      log_index integer NOT NULL,
      from_address text,
      amount_units numeric(78, 0) NOT NULL CHECK (amount_units > 0),
      status text NOT NULL CHECK (status IN ('confirmed', 'orphaned')),
      disposition text NOT NULL CHECK (disposition IN ('payout', 'refund', 'frozen')),
      refund_units numeric(78, 0) NOT NULL DEFAULT 0,
      observed_at timestamptz NOT NULL,
      UNIQUE (network, environment, tx_hash, log_index)
    );
    CREATE INDEX ramp_deposit_off_ramp ON ramp_deposit (off_ramp_id);

    CREATE TABLE ramp_payout (
      id uuid PRIMARY KEY,
      off_ramp_id uuid NOT NULL UNIQUE REFERENCES ramp_off_ramp(id),
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      rail text NOT NULL,
      provider text NOT NULL,
      currency text NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      status text NOT NULL CHECK (status IN ('pending', 'submitted', 'paid', 'failed', 'returned')),
      provider_ref text,
      failure_code text,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      deadline_at timestamptz NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      submitted_at timestamptz,
      settled_at timestamptz
    );
    CREATE INDEX ramp_payout_due ON ramp_payout (next_attempt_at) WHERE status IN ('pending', 'submitted', 'paid');

    CREATE TABLE ramp_on_ramp (
      id uuid PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      customer_id uuid NOT NULL REFERENCES ramp_customer(id),
      quote_id uuid NOT NULL UNIQUE REFERENCES ramp_quote(id),
      status text NOT NULL CHECK (status IN ('awaiting_funds', 'funds_received', 'delivery_submitted', 'completed', 'failed')),
      network text NOT NULL,
      token_id integer NOT NULL,
      destination_address text NOT NULL,
      rail text NOT NULL,
      currency text NOT NULL,
      reference text NOT NULL UNIQUE,
      instructions jsonb NOT NULL,
      expected_fiat_minor bigint NOT NULL,
      received_fiat_minor bigint NOT NULL DEFAULT 0,
      fee_fiat_minor bigint NOT NULL,
      token_units numeric(78, 0) NOT NULL,
      usd_millis bigint NOT NULL,
      rate_answer numeric(78, 0) NOT NULL,
      rate_decimals integer NOT NULL,
      is_requoted boolean NOT NULL DEFAULT false,
      tx_hash text,
      failure_code text,
      failure_message text,
      rate_locked_until timestamptz NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz
    );
    CREATE INDEX ramp_on_ramp_list ON ramp_on_ramp (merchant_id, environment, id DESC);
    CREATE INDEX ramp_on_ramp_customer ON ramp_on_ramp (customer_id, created_at);

    -- on-chain sends owed by a flow (on-ramp delivery, refunds); the id is the chain layer's idempotency key
    CREATE TABLE ramp_chain_send (
      id uuid PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      purpose text NOT NULL CHECK (purpose IN ('on_ramp_delivery', 'off_ramp_refund')),
      owner_id uuid NOT NULL,
      reason text NOT NULL,
      network text NOT NULL,
      token_id integer NOT NULL,
      to_address text NOT NULL,
      amount_units numeric(78, 0) NOT NULL CHECK (amount_units > 0),
      status text NOT NULL CHECK (status IN ('pending', 'sent')),
      tx_hash text,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz
    );
    CREATE INDEX ramp_chain_send_due ON ramp_chain_send (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX ramp_chain_send_owner ON ramp_chain_send (owner_id);

    -- the sandbox KYC provider's own records (what a vendor would hold on its side)
    CREATE TABLE ramp_sandbox_kyc (
      provider_ref text PRIMARY KEY,
      verification_id uuid NOT NULL UNIQUE,
      level text NOT NULL,
      status text NOT NULL CHECK (status IN ('created', 'submitted', 'approved', 'rejected', 'needs_review')),
      document_number text,
      reason text,
      created_at timestamptz NOT NULL,
      submitted_at timestamptz,
      decide_at timestamptz
    );
    CREATE TABLE ramp_sandbox_kyc_outbox (
      id uuid PRIMARY KEY,
      provider_ref text NOT NULL REFERENCES ramp_sandbox_kyc(provider_ref),
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX ramp_sandbox_kyc_outbox_due ON ramp_sandbox_kyc_outbox (next_attempt_at) WHERE status = 'pending';

    -- the sandbox payout provider's own records, keyed by our payout id (its idempotency key)
    CREATE TABLE ramp_sandbox_payout (
      payout_id uuid PRIMARY KEY,
      provider_ref text NOT NULL UNIQUE,
      rail text NOT NULL,
      currency text NOT NULL,
      amount_minor bigint NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('paid', 'failed', 'returned')),
      failure_code text,
      accepted_at timestamptz NOT NULL,
      settles_at timestamptz NOT NULL,
      returns_at timestamptz
    );

    CREATE TABLE ledger_account (
      id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL CHECK (environment IN ('devnet', 'mainnet')),
      address text NOT NULL CHECK (address ~ '^[a-z_]+(:[a-z0-9_-]+)*$'),
      asset text NOT NULL CHECK (asset ~ '^[A-Z0-9]+(:[a-z0-9-]+)?/[0-9]+$'),
      is_non_negative boolean NOT NULL,
      balance numeric(78, 0) NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (merchant_id, environment, address, asset),
      -- a guarded account can never be overdrawn, whatever the code does
      CONSTRAINT ledger_account_non_negative CHECK (NOT is_non_negative OR balance >= 0)
    );

    CREATE TABLE ledger_transaction (
      id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      environment text NOT NULL,
      kind_code text NOT NULL,
      reference text NOT NULL UNIQUE,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL
    );
    CREATE INDEX ledger_transaction_merchant ON ledger_transaction (merchant_id, environment, id DESC);

    CREATE TABLE ledger_posting (
      id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      transaction_id bigint NOT NULL REFERENCES ledger_transaction(id),
      source_account_id bigint NOT NULL REFERENCES ledger_account(id),
      target_account_id bigint NOT NULL REFERENCES ledger_account(id),
      asset text NOT NULL,
      amount numeric(78, 0) NOT NULL CHECK (amount > 0),
      CHECK (source_account_id <> target_account_id)
    );
    CREATE INDEX ledger_posting_transaction ON ledger_posting (transaction_id);

    -- one line: the script runner splits statements at a semicolon that ends a line
    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001'; END $$;
    CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_transaction_no_truncate BEFORE TRUNCATE ON ledger_transaction
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
    `,
  )
}
