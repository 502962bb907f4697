/* Host output files under one rule (see outfile.h). */
#include "core/outfile.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

struct OutFile {
    char *path;               /* the target */
    char *tmp;                /* the temporary file next to it; NULL when written in place */
    FILE *f;
    bool force;
    int first_errno;          /* the first write error seen by outfile_check, or 0 */
};

static char *exists_msg(const char *path)
{
    return g_strdup_printf("'%s' exists; not replacing it (use --force, or another name)", path);
}

static char *errno_msg(const char *path, int e)
{
    return g_strdup_printf("cannot write '%s': %s", path, g_strerror(e));
}

OutFile *outfile_open(const char *path, bool force, char **err)
{
    struct stat st;
    if (!path || !*path) {
        *err = g_strdup("an output file name is empty");
        return NULL;
    }
    bool exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        *err = errno_msg(path, errno);
        return NULL;
    }
    if (exists && S_ISDIR(st.st_mode)) {
        *err = g_strdup_printf("cannot write '%s': it is a directory", path);
        return NULL;
    }
    struct stat lst;
    bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (!force && (link || exists) && (!exists || S_ISREG(st.st_mode))) {
        *err = exists_msg(path);    /* a regular file, or a dangling symlink */
        return NULL;
    }
    OutFile *o = g_new0(OutFile, 1);
    o->path = g_strdup(path);
    o->force = force;
    if ((exists && !S_ISREG(st.st_mode)) || link) {
        /* a device, FIFO or terminal: written in place (O_TRUNC does nothing to them); a
         * symbolic link is written through (renaming over it would replace the link, and
         * /dev/stdout or /proc/self/fd/N would lose what the process writes there) */
        o->f = fopen(path, "w");
        if (!o->f) {
            *err = errno_msg(path, errno);
            g_free(o->path);
            g_free(o);
            return NULL;
        }
        return o;
    }
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    o->tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    g_free(dir);
    g_free(base);
    int fd = g_mkstemp(o->tmp);
    if (fd >= 0) {
        /* mkstemp made it 0600: give it the mode of the file it replaces, or the usual
         * 0666 & ~umask */
        mode_t mode;
        if (exists) {
            mode = st.st_mode & 07777;
        } else {
            mode_t um = umask(0);
            umask(um);
            mode = 0666 & ~um;
        }
        if (fchmod(fd, mode) < 0 || !(o->f = fdopen(fd, "w"))) {
            int e = errno;
            close(fd);
            unlink(o->tmp);
            errno = e;
            fd = -1;
        }
    }
    if (fd < 0) {
        *err = errno_msg(path, errno);
        g_free(o->tmp);
        g_free(o->path);
        g_free(o);
        return NULL;
    }
    return o;
}

FILE *outfile_stream(OutFile *f)
{
    return f->f;
}

const char *outfile_path(const OutFile *f)
{
    return f->path;
}

bool outfile_in_place(const OutFile *f)
{
    return f->tmp == NULL;
}

/* The errno of a failed write, as well as it can be known: stdio keeps only a flag. */
static int write_errno(OutFile *f)
{
    if (fflush(f->f) != 0 && !f->first_errno)
        f->first_errno = errno ? errno : EIO;
    if (ferror(f->f) && !f->first_errno)
        f->first_errno = EIO;
    return f->first_errno;
}

bool outfile_check(OutFile *f, char **err)
{
    int e = write_errno(f);
    if (e) {
        *err = errno_msg(f->path, e);
        return false;
    }
    return true;
}

bool outfile_commit(OutFile *f, char **err)
{
    int e = write_errno(f);
    if (!e && f->tmp && fsync(fileno(f->f)) != 0)
        e = errno;
    if (fclose(f->f) != 0 && !e)
        e = errno;
    f->f = NULL;
    bool ok = !e;
    if (e)
        *err = errno_msg(f->path, e);
    if (ok && f->tmp) {
        /* without force, link() claims the name only if it is still free (atomically); a
         * file system without hard links gets a rename after a last look */
        int r;
        if (f->force) {
            r = rename(f->tmp, f->path);
        } else {
            r = link(f->tmp, f->path);
            struct stat lst;
            if (r < 0 && (errno == EPERM || errno == ENOTSUP || errno == ENOSYS || errno == EMLINK)) {
                if (lstat(f->path, &lst) == 0)
                    errno = EEXIST;
                else
                    r = rename(f->tmp, f->path);
            }
        }
        if (r < 0) {
            ok = false;
            *err = errno == EEXIST ? exists_msg(f->path) : errno_msg(f->path, errno);
        }
    }
    if (f->tmp && (!ok || !f->force))
        unlink(f->tmp);       /* failed, or linked: the temporary name goes */
    g_free(f->tmp);
    g_free(f->path);
    g_free(f);
    return ok;
}

void outfile_abort(OutFile *f)
{
    if (!f)
        return;
    if (f->f)
        fclose(f->f);
    if (f->tmp)
        unlink(f->tmp);
    g_free(f->tmp);
    g_free(f->path);
    g_free(f);
}

bool outfile_write(const char *path, const void *data, size_t len, bool force, char **err)
{
    OutFile *f = outfile_open(path, force, err);
    if (!f)
        return false;
    if (len && fwrite(data, 1, len, f->f) != len && !f->first_errno)
        f->first_errno = errno ? errno : EIO;
    return outfile_commit(f, err);
}
