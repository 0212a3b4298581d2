using Maebashi.Edge.Contract.Security;
using Npgsql;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// Where the database password comes from when it is not in the URI, so that it need not appear on a command line:
/// <c>--store-pass-file FILE</c> (the password alone), or libpq's password file (<c>PGPASSFILE</c>, lines
/// <c>host:port:db:user:password</c> with <c>*</c> wildcards and <c>\:</c> escapes), which Npgsql reads itself once
/// pointed at it. Either file must be owner-only, as libpq requires of its own.
/// </summary>
public static class PostgresPassword
{
    /// <summary>
    /// Completes <paramref name="settings"/> (parsed from the URI) with the password's source; throws
    /// <see cref="StoreOptionException"/> naming the option and the file otherwise.
    /// </summary>
    /// <param name="passFile"><c>--store-pass-file</c>, or null.</param>
    /// <param name="pgPassFile">The <c>PGPASSFILE</c> environment variable, or null.</param>
    public static void Apply(NpgsqlConnectionStringBuilder settings, string? passFile, string? pgPassFile)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (passFile is not null)
        {
            if (settings.Password is not null)
            {
                throw new StoreOptionException("--store-pass-file", "the URI holds a password already; give it in one place");
            }

            settings.Password = ReadPassword(passFile);
            return;
        }

        if (settings.Password is not null)
        {
            return;
        }

        // The URI's passfile parameter, else PGPASSFILE; without either Npgsql looks for ~/.pgpass as libpq does.
        (string option, string? file) = settings.Passfile is { } given ? ("--store (passfile)", given) : ("PGPASSFILE", pgPassFile);
        if (string.IsNullOrEmpty(file))
        {
            return;
        }

        OwnerOnly(option, file);
        settings.Passfile = file;
    }

    private static string ReadPassword(string file)
    {
        OwnerOnly("--store-pass-file", file);
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreOptionException("--store-pass-file", $"cannot read {file}: {e.Message}");
        }

        // The first line is the password, as written by `echo … > file` (its line end is not part of it).
        string password = text.Split('\n')[0].TrimEnd('\r');
        return password.Length > 0 ? password : throw new StoreOptionException("--store-pass-file", $"{file} holds no password on its first line");
    }

    private static void OwnerOnly(string option, string file)
    {
        if (!File.Exists(file))
        {
            throw new StoreOptionException(option, $"{file} does not exist");
        }

        if (OwnerOnlyFile.OpenToOthers(file) is { } mode)
        {
            throw new StoreOptionException(option, $"{file} has mode {mode}, which lets others read the database password; make it owner-only (chmod 600)");
        }
    }
}
