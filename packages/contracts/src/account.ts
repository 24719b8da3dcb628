import { z } from 'zod'
import { Environment, EpochSeconds, Uuid } from './common.ts'

export const KeyScope = z.enum(['merchant', 'commerce'])

export const ApiKey = z
  .object({
    key_id: Uuid,
    name: z.string(),
    scope: KeyScope,
    environment: Environment,
    key_hint: z.string().meta({ description: 'Masked key, e.g. pk_test_…a1b2' }),
    expires_at: EpochSeconds.nullable(),
    status: z.enum(['active', 'revoked', 'suspended']),
    last_used_at: EpochSeconds.nullable(),
    created_at: EpochSeconds,
    revoked_at: EpochSeconds.nullable(),
    revoked_reason: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export const ListApiKeysQuery = z.object({ scope: KeyScope.optional(), environment: Environment.optional() }).strict()
export const CreateApiKeyBody = z
  .object({
    name: z.string().min(1).max(255),
    scope: KeyScope,
    environment: Environment.optional().meta({
      description: "Defaults to the merchant's current environment",
    }),
    expires_at: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).optional(),
  })
  .strict()
export const CreatedApiKey = z.object({
  key_id: Uuid,
  name: z.string(),
  scope: KeyScope,
  environment: Environment,
  api_key: z.string(),
  expires_at: EpochSeconds.nullable(),
})
export const KeyIdParams = z.object({ keyId: Uuid }).strict()
export const RevokeApiKeyBody = z.object({ reason: z.string().max(255).optional() }).strict().optional()
export const MessageResponse = z.object({ message: z.string() })

export const MainnetAccessStatus = z.object({
  has_mainnet_access: z.boolean(),
  current_environment: Environment,
})
export const MainnetActivateResponse = z.object({
  success: z.literal(true),
  has_mainnet_access: z.boolean(),
  current_environment: Environment,
  message: z.string(),
})
export const SetEnvironmentBody = z.object({ environment: Environment }).strict()
export const SetEnvironmentResponse = z.object({
  success: z.literal(true),
  current_environment: Environment,
})

export const PaymentReturnUrl = z.object({
  payment_return_url: z.string().nullable(),
  payment_return_url_enabled: z.boolean(),
})
export const UpdatePaymentReturnUrlBody = z
  .object({
    payment_return_url: z.url({ protocol: /^https$/ }).max(2048).nullable(),
    payment_return_url_enabled: z.boolean().optional(),
  })
  .strict()
