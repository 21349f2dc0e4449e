import { IdentityStubModule } from './identity-stub.module';

/** The feature modules, in dependency order. */
export const FEATURE_MODULES = [IdentityStubModule];
