/**
 * Refuses `cdk deploy` of the shipped example sources while letting `cdk synth` (and every
 * test) build the stack. The app cannot tell synth from deploy (`cdk deploy` synthesizes
 * first, with the same context), so the refusal is CloudFormation's: a template Rule whose
 * assertion no accepted parameter value satisfies. CloudFormation evaluates Rules when it
 * creates the change set, before any resource is touched, and `cdk deploy` fails with the
 * rule's message; a running stack stays exactly as it was. It is the mechanism CDK's own
 * CheckBootstrapVersion rule uses to stop deploys into an old bootstrap.
 */
import { Annotations, CfnParameter, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import { SOURCES_FILE } from './sourcesFile.js';

export const EXAMPLE_GUARD_RULE = 'ExampleSourcesRefused';
export const EXAMPLE_GUARD_PARAMETER = 'SourcesAreTheExample';
/** The functions' variable that references the parameter (read by nothing: it only blocks hotswap). */
export const EXAMPLE_GUARD_ENV = 'EXAMPLE_SOURCES_GUARD';
/** The synth warning's id (it also appears in the validation report, as `Annotation::<id>`). */
export const EXAMPLE_WARNING = 'conveyour:exampleSources';

export const EXAMPLE_REFUSAL = `This stack still tails the example source (example.conveyour.com) from infra/cdk/sources.json. Put your ConveYour accounts in that file, delete "example": true, then deploy again. Nothing was changed.`;

/**
 * Returns the parameter: the stack puts a reference to it in the functions' environment, so
 * `cdk deploy --hotswap` (which updates Lambda code and environment without CloudFormation,
 * so without the rule) cannot resolve the change and leaves the functions alone.
 */
export function guardExampleSources(stack: Stack): CfnParameter {
  // Its only allowed value is 'yes', and the rule asserts 'no': no deploy can pass it.
  const parameter = new CfnParameter(stack, EXAMPLE_GUARD_PARAMETER, {
    type: 'String',
    default: 'yes',
    allowedValues: ['yes'],
    description: 'The sources are the example in infra/cdk/sources.json; this stack cannot be deployed until they are replaced',
  });
  new CfnRule(stack, EXAMPLE_GUARD_RULE, {
    assertions: [{ assert: Fn.conditionEquals(parameter.valueAsString, 'no'), assertDescription: EXAMPLE_REFUSAL }],
  });
  Annotations.of(stack).addWarningV2(EXAMPLE_WARNING, `Synthesized with the example source (example.conveyour.com): cdk deploy of this template is refused. Put your ConveYour accounts in ${SOURCES_FILE} and delete "example": true.`);
  return parameter;
}
