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
    void refusesBadOrRepeatedPythonVersions() {
        assertRefused([envName: 'demo', pythonVersions: ['3.11', '3.11']], "buildVenv: pythonVersions lists '3.11' twice")
        assertRefused([envName: 'demo', pythonVersions: ['3.11', '3.x']], "buildVenv: pythonVersions entry '3.x' is not valid: 3.N")
        assertRefused([envName: 'demo', pythonVersions: ['3.11', 312]], 'buildVenv: pythonVersions entry 312 is not valid: 3.N')
        assertRefused([envName: 'demo', pythonVersions: []], 'buildVenv: pythonVersions must be a non-empty list')
        assertRefused([envName: 'demo', pythonVersions: '3.11'], 'buildVenv: pythonVersions must be a non-empty list')
        assertRefused([envName: 'demo', pythonVersion: '3.11', pythonVersions: ['3.12']],
            'buildVenv: give pythonVersion (one build) or pythonVersions (one parallel branch each), not both')
    }

    @Test
    void refusesUnknownOrBadNotificationChannels() {
        assertRefused([envName: 'demo', notify: [slack: '#builds', teams: 'x', sms: '1']],
            'buildVenv: notify: unknown channels sms, teams; accepted: slack, email')
        assertRefused([envName: 'demo', notify: [slack: 'builds']], "buildVenv: notify.slack 'builds' is not valid: a Slack channel")
        assertRefused([envName: 'demo', notify: [email: 'team; rm -rf /']], "buildVenv: notify.email 'team; rm -rf /' is not valid: one e-mail address")
        assertRefused([envName: 'demo', notify: '#builds'], 'buildVenv: notify must be a map such as')
    }

    @Test
    void refusesHelperOptionsThatDoNotFitTogether() {
        assertRefused([envName: 'demo', helperIndexCredentialsId: 'index-reader'],
            'buildVenv: helperIndexCredentialsId needs helperIndexUrl, the index they are for')
        assertRefused([envName: 'demo', helperCommand: 'venvbuild', helperIndexUrl: 'https://pypi.example.com/simple/'],
            'buildVenv: helperCommand uses an installed helper; helperIndexUrl and helperToolRoot are for installing one')
        assertRefused([envName: 'demo', helperIndexUrl: 'https://user:pw@pypi.example.com/simple/'],
            "buildVenv: helperIndexUrl 'https://user:pw@pypi.example.com/simple/' is not valid")
        assertRefused([envName: 'demo', archiveVenv: 'no'], "buildVenv: archiveVenv must be true or false, not 'no'")
    }

    @Test
    void refusesTheRemovedHelperRequirement() {
        assertRefused([envName: 'demo', helperRequirement: 'venvbuild==0.1.0'], 'buildVenv: unknown option helperRequirement')
    }

    @Test
    void callsTheFailureHookForRefusedArguments() {
        List<Map> failures = []

        String message = refusal([envName: '$(id)', onFailure: recordInto(failures)])

        assertEquals([[stage: null, message: message, result: 'FAILURE']], failures)
    }
}
