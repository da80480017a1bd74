package io.venvbuild

import static org.junit.Assert.assertEquals

import org.junit.Test

class HelperOutputTest {

    @Test
    void errorLineIsTheHelpersLastErrorLine() {
        assertEquals('venvbuild: error: second',
            HelperOutput.errorLine('venvbuild: error: first\nvenvbuild: error: second\n  trailing noise  \n'))
    }

    @Test
    void errorLineFallsBackToTheLastLineThenToAHint() {
        assertEquals('Traceback line', HelperOutput.errorLine('warning\nTraceback line\n\n'))
        assertEquals('no error message from the helper; see the console log', HelperOutput.errorLine(''))
    }

    @Test
    void resultMapsMetadataKeys() {
        Map result = HelperOutput.result('{"env_name":"demo","python_version":"3.11","venv_version":"venv_20261125_150000",' +
            '"venv_archive":"s3://b/p/venv_20261125_150000/venv_20261125_150000.tar.gz","archive_sha256":"ab",' +
            '"is_conflict_free":false}\n')

        assertEquals([envName: 'demo', pythonVersion: '3.11', venvVersion: 'venv_20261125_150000',
                      archiveUrl: 's3://b/p/venv_20261125_150000/venv_20261125_150000.tar.gz', sha256: 'ab',
                      conflictFree: false], result)
    }
}
