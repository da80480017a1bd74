import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import org.junit.After
import org.junit.Test

/** Bad arguments are refused with a one-line error naming the parameter, before any shell runs. */
class BuildVenvArgumentsTest extends PipelineTestBase {

    String refusal(Map args) {
        return errorFrom { loadStep('buildVenv').call(args) }
    }

    void assertRefused(Map args, String expected) {
        String message = refusal(args)
        assertTrue("'${message}' should contain '${expected}'", message.contains(expected))
        assertEquals('one line', 1, message.readLines().size())
    }

    @After
    void nothingRan() {
        assertEquals('no sh may run for bad arguments', [], shCalls)
        assertEquals([], stageNames())
        assertEquals([], archived)
        assertEquals('FAILURE', result())
    }

    @Test
    void refusesAShellCommandAsEnvName() {
        assertRefused([envName: 'x; rm -rf /'], "buildVenv: envName 'x; rm -rf /' is not valid: letters, digits")
    }

    @Test
    void refusesACommandSubstitutionAsEnvName() {
        assertRefused([envName: '$(id)'], "buildVenv: envName '\$(id)' is not valid")
    }

    @Test
    void refusesAPathAsEnvName() {
        assertRefused([envName: '../up'], "buildVenv: envName '../up' is not valid")
    }

    @Test
    void requiresEnvName() {
        assertRefused([pythonVersion: '3.11'], 'buildVenv: envName is required')
    }

    @Test
    void refusesUnknownKeysListingTheAcceptedOnes() {
        String message = refusal([envName: 'demo', pyhtonVersion: '3.11'])

        assertTrue(message, message.startsWith('buildVenv: unknown option pyhtonVersion; accepted: envName, pythonVersion, '))
        assertTrue(message, message.contains('failOnConflicts'))
        assertTrue(message, message.contains('helperCommand'))
    }

    @Test
    void checksTheOtherNamesAgainstTheNamingRules() {
        assertRefused([envName: 'demo', pythonVersion: '3.11; id'], "pythonVersion '3.11; id' is not valid: 3.N")
        assertRefused([envName: 'demo', bucket: 'Team_Venvs'], "bucket 'Team_Venvs' is not valid: an S3 bucket name")
        assertRefused([envName: 'demo', bucket: 'ok-bucket', prefix: 'a/../b'], "prefix 'a/../b' is not valid")
        assertRefused([envName: 'demo', prefix: 'venvs/'], "prefix 'venvs/' is not valid")
    }

    @Test
    void checksChoicesTypesAndFormats() {
        assertRefused([envName: 'demo', installer: 'conda'], "installer 'conda' is not valid: one of pip, uv")
        assertRefused([envName: 'demo', compression: 'xz'], "compression 'xz' is not valid: one of gz, zst")
        assertRefused([envName: 'demo', failOnConflicts: 'yes'], "failOnConflicts must be true or false, not 'yes'")
        assertRefused([envName: 'demo', checksumWhenRequired: 'yes'], "checksumWhenRequired must be true or false, not 'yes'")
        assertRefused([envName: 'demo', envName2: 1], 'unknown option envName2')
        assertRefused([envName: 42], 'envName must be a string, not Integer')
        assertRefused([envName: 'demo', onFailure: 'mail'], 'onFailure must be a closure')
    }

    @Test
    void checksRegionAndEndpointAgainstTheNamingRules() {
        assertRefused([envName: 'demo', region: 'eu west'], "buildVenv: region 'eu west' is not valid: an AWS region such as eu-west-1")
        assertRefused([envName: 'demo', region: 'eu-west'], "buildVenv: region 'eu-west' is not valid: an AWS region")
        assertRefused([envName: 'demo', endpointUrl: 'ftp://minio'],
            "buildVenv: endpointUrl 'ftp://minio' is not valid: an http:// or https:// URL such as http://127.0.0.1:9000")
        assertRefused([envName: 'demo', endpointUrl: 'http://user:pw@minio:9000'], "endpointUrl 'http://user:pw@minio:9000' is not valid")
    }

    @Test
    void refusesARequirementsFileOutsideTheWorkspace() {
        String rule = "is not valid: a path inside the workspace: relative, no '..' segment, one line"
        assertRefused([envName: 'demo', requirements: '/home/jenkins/.netrc'], "buildVenv: requirements '/home/jenkins/.netrc' ${rule}")
        assertRefused([envName: 'demo', requirements: '../../secrets/x'], "buildVenv: requirements '../../secrets/x' ${rule}")
        assertRefused([envName: 'demo', requirements: 'reqs/../../x.txt'], "requirements 'reqs/../../x.txt' ${rule}")
        assertRefused([envName: 'demo', requirements: 'reqs/..'], "requirements 'reqs/..' ${rule}")
        assertRefused([envName: 'demo', requirements: 'a.txt\nrm -rf /'], "requirements 'a.txt\\u000arm -rf /' ${rule}")
        assertRefused([envName: 'demo', requirements: ''], "requirements '' ${rule}")
    }

    @Test
    void checksServerSideEncryption() {
        assertRefused([envName: 'demo', sse: 'kms'], "buildVenv: sse 'kms' is not valid: one of AES256, aws:kms")
        assertRefused([envName: 'demo', sse: 'aws:kms\n'], "sse 'aws:kms\\u000a' is not valid")
        assertRefused([envName: 'demo', kmsKeyId: 'alias/venvs'], "buildVenv: kmsKeyId needs sse 'aws:kms'")
        assertRefused([envName: 'demo', sse: 'AES256', kmsKeyId: 'alias/venvs'],
            "buildVenv: kmsKeyId needs sse 'aws:kms', not 'AES256'")
        assertRefused([envName: 'demo', sse: 'aws:kms', kmsKeyId: 'alias/x\nid'], "kmsKeyId 'alias/x\\u000aid' must be a non-empty single line")
    }

    @Test
    void refusesTwoWaysOfGettingTheHelper() {
        assertRefused([envName: 'demo', helperCommand: 'venvbuild', helperRequirement: 'venvbuild==0.1.0'],
            'give helperCommand (use an installed helper) or helperRequirement (install one), not both')
    }

    @Test
    void callsTheFailureHookForRefusedArguments() {
        List<Map> failures = []

        String message = refusal([envName: '$(id)', onFailure: { Map failure -> failures << failure }])

        assertEquals([[stage: null, message: message]], failures)
    }
}
