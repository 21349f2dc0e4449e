import { Global, Module } from '@nestjs/common';
import { MembershipResolver, PrincipalResolver } from './common/auth/access-ports';

// Placeholder until the identity modules land: nobody can authenticate.
class NoPrincipals extends PrincipalResolver {
  async fromAccessToken() {
    return null;
  }
  async fromApiKey() {
    return null;
  }
}
class NoMemberships extends MembershipResolver {
  async roleOf() {
    return null;
  }
}

@Global()
@Module({
  providers: [
    { provide: PrincipalResolver, useClass: NoPrincipals },
    { provide: MembershipResolver, useClass: NoMemberships },
  ],
  exports: [PrincipalResolver, MembershipResolver],
})
export class IdentityStubModule {}
