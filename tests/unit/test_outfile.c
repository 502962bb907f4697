/* core/outfile: the rule for every host file hvsim writes. A regular file appears only when
 * complete and never replaces another without force; devices are written in place; write
 * errors (/dev/full) are reported with the file's name; directories and missing directories
 * are refused when opening, before anything is written. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include "core/outfile.h"

static char *dir;

static void setup(void)
{
    dir = g_dir_make_tmp("outfile-test-XXXXXX", NULL);
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    rmdir(dir);
    g_free(dir);
}

/* Number of entries in the test directory (temporary files included). */
static int entries(void)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static char *content(const char *path)
{
    char *s = NULL;
    cr_assert(g_file_get_contents(path, &s, NULL, NULL), "cannot read %s", path);
    return s;
}

TestSuite(outfile, .init = setup, .fini = teardown);

Test(outfile, new_file_appears_only_when_committed)
{
    char *p = g_build_filename(dir, "a.txt", NULL), *err = NULL;
    OutFile *f = outfile_open(p, false, &err);
    cr_assert_not_null(f, "%s", err);
    cr_assert(!outfile_in_place(f));
    fputs("hello\n", outfile_stream(f));
    cr_assert(!g_file_test(p, G_FILE_TEST_EXISTS), "the target exists before the commit");
    cr_assert(outfile_commit(f, &err), "%s", err);
    char *s = content(p);
    cr_assert_str_eq(s, "hello\n");
    cr_assert_eq(entries(), 1, "a temporary file was left behind");
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    mode_t um = umask(0);
    umask(um);
    cr_assert_eq(st.st_mode & 0777, 0666 & ~um, "mode %o", st.st_mode & 0777);
    g_free(s);
    g_free(p);
}

Test(outfile, existing_file_is_kept_without_force)
{
    char *p = g_build_filename(dir, "keep.txt", NULL), *err = NULL;
    cr_assert(g_file_set_contents(p, "precious", -1, NULL));
    cr_assert_null(outfile_open(p, false, &err));
    cr_assert(strstr(err, "keep.txt") && strstr(err, "--force"), "%s", err);
    cr_assert_null(strchr(err, '\n'));
    g_free(err);
    err = NULL;
    cr_assert(!outfile_write(p, "x", 1, false, &err));
    g_free(err);
    char *s = content(p);
    cr_assert_str_eq(s, "precious");
    cr_assert_eq(entries(), 1);
    g_free(s);

    /* with force it is replaced, keeping its mode */
    chmod(p, 0640);
    cr_assert(outfile_write(p, "new", 3, true, &err), "%s", err);
    s = content(p);
    cr_assert_str_eq(s, "new");
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq(entries(), 1);
    g_free(s);
    g_free(p);
}

Test(outfile, file_created_meanwhile_is_not_replaced)
{
    char *p = g_build_filename(dir, "race.txt", NULL), *err = NULL;
    OutFile *f = outfile_open(p, false, &err);
    cr_assert_not_null(f, "%s", err);
    fputs("mine", outfile_stream(f));
    cr_assert(g_file_set_contents(p, "theirs", -1, NULL));
    cr_assert(!outfile_commit(f, &err));
    cr_assert(strstr(err, "race.txt"), "%s", err);
    g_free(err);
    char *s = content(p);
    cr_assert_str_eq(s, "theirs");
    cr_assert_eq(entries(), 1);
    g_free(s);
    g_free(p);
}

Test(outfile, abort_leaves_nothing)
{
    char *p = g_build_filename(dir, "gone.txt", NULL), *err = NULL;
    OutFile *f = outfile_open(p, false, &err);
    cr_assert_not_null(f, "%s", err);
    fputs("half", outfile_stream(f));
    outfile_abort(f);
    cr_assert_eq(entries(), 0);
    g_free(p);
}

Test(outfile, devices_are_written_in_place)
{
    char *err = NULL;
    OutFile *f = outfile_open("/dev/null", false, &err);
    cr_assert_not_null(f, "%s", err);
    cr_assert(outfile_in_place(f));
    fputs("nothing", outfile_stream(f));
    cr_assert(outfile_commit(f, &err), "%s", err);
    struct stat st;
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "/dev/null is no longer a device");
}

Test(outfile, full_device_reports_the_error)
{
    if (access("/dev/full", W_OK) != 0)
        cr_skip_test("no /dev/full");
    char *err = NULL;
    /* a small write fails at the commit */
    cr_assert(!outfile_write("/dev/full", "x", 1, false, &err));
    cr_assert(strstr(err, "/dev/full") && strstr(err, "No space"), "%s", err);
    g_free(err);
    err = NULL;
    /* a large one fails while writing; the check says so, and so does the commit */
    OutFile *f = outfile_open("/dev/full", false, &err);
    cr_assert_not_null(f, "%s", err);
    for (int i = 0; i < 10000; i++)
        fprintf(outfile_stream(f), "line %d of a trace\n", i);
    cr_assert(!outfile_check(f, &err));
    cr_assert(strstr(err, "/dev/full") && strstr(err, "No space"), "%s", err);
    g_free(err);
    err = NULL;
    cr_assert(!outfile_commit(f, &err));
    cr_assert(strstr(err, "/dev/full") && strstr(err, "No space"), "%s", err);
    g_free(err);
}

Test(outfile, bad_paths_fail_when_opening)
{
    char *err = NULL;
    cr_assert_null(outfile_open("/nonexistent-dir/x.json", true, &err));
    cr_assert(strstr(err, "/nonexistent-dir/x.json"), "%s", err);
    g_free(err);
    err = NULL;
    cr_assert_null(outfile_open(dir, true, &err));
    cr_assert(strstr(err, "directory"), "%s", err);
    g_free(err);
    err = NULL;
    cr_assert_null(outfile_open("", true, &err));
    g_free(err);
    /* a dangling symlink is a name in use */
    char *l = g_build_filename(dir, "link", NULL);
    cr_assert_eq(symlink("/nonexistent-target", l), 0);
    err = NULL;
    cr_assert_null(outfile_open(l, false, &err));
    cr_assert(strstr(err, "--force"), "%s", err);
    g_free(err);
    g_free(l);
}

Test(outfile, symlinks_are_written_through)
{
    char *t = g_build_filename(dir, "target", NULL), *l = g_build_filename(dir, "link", NULL);
    char *err = NULL;
    cr_assert(g_file_set_contents(t, "old", -1, NULL));
    cr_assert_eq(symlink(t, l), 0);
    cr_assert(!outfile_write(l, "new", 3, false, &err));
    g_free(err);
    err = NULL;
    cr_assert(outfile_write(l, "new", 3, true, &err), "%s", err);
    struct stat st;
    cr_assert_eq(lstat(l, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char *s = content(t);
    cr_assert_str_eq(s, "new");
    cr_assert_eq(entries(), 2);
    g_free(s);
    g_free(t);
    g_free(l);
}
