// The demo repository's data: its reviewed config and the approval issue of the operations guide.
// Plain data, with no stand-in behind it, so pure tests can use it too.

export const DEMO_REPO = "acme/platform";

export const DEMO_CONFIG = `# Reviewed like code: the baseline no approval issue can weaken.
label: lane-policy
approvers:
  min_permission: maintain
  allow_self_approval: false
lanes:
  syo/prod:      { data_authority: authoritative }
  verireel/prod: { data_authority: authoritative }
gate:
  workflows: [odoo-stable-bootstrap.yml]
proofs:
  backup:  { workflow: backup.yml,         max_age_hours: 24 }
  restore: { workflow: restore-verify.yml, max_age_hours: 168 }
evidence:
  jobs:
    target-proof: target_proof
    bootstrap: bootstrap
    post-deploy: post_deploy
    verify: verification
  deploy_workflows: [deploy.yml]
`;

/**
 * The CM and OPW approval issue of the operations guide: CM's lanes are disposable until launch,
 * OPW's are restored from their upstream. `extraLanes` is YAML for more lanes, indented by two.
 */
export function cmOpwApprovalBody(expires = "2027-03-31T00:00:00Z", extraLanes = ""): string {
  return `CM and OPW are not launched yet: their lanes may be wiped and rebuilt.

\`\`\`lane-policy
lanes:
  cm/testing:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
  cm/prod:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
    confirmation: bootstrap cm prod
  opw/testing:
    data_authority: restorable
    allowed_rebuild_sources: [upstream_restore]
    upstream_source: odoo-tenant-opw/opw/testing-upstream
  opw/prod:
    data_authority: restorable
    allowed_rebuild_sources: [upstream_restore]
    upstream_source: odoo-tenant-opw/opw/prod-upstream
${extraLanes}expires_at: ${expires}
retire_when: CM and OPW launch on Launchplane-managed prod
\`\`\`
`;
}
