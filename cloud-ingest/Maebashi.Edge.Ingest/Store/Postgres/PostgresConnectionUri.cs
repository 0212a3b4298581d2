using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// <c>--store postgresql://USER[:PASS]@HOST[:PORT]/DB[?KEY=VALUE&amp;…]</c> (or <c>postgres://</c>), libpq's connection
/// URI, as Npgsql's settings: Npgsql takes only key=value connection strings. Every part is percent-decoded; an IPv6
/// host is written in brackets; the port defaults to 5432; the query keys are libpq's (<see cref="QueryKeys"/>), and
/// any other is refused by name. No message names the password (<see cref="Redact"/>).
/// </summary>
public static partial class PostgresConnectionUri
{
    public const int DefaultPort = 5432;

    /// <summary>The query parameters understood, as libpq names them.</summary>
    public static IReadOnlyList<string> QueryKeys { get; } =
    [
        "host", "port", "dbname", "user", "password", "passfile", "options", "application_name", "client_encoding",
        "connect_timeout", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "channel_binding",
        "target_session_attrs", "keepalives", "keepalives_idle", "keepalives_interval",
    ];

    /// <summary>Whether <c>--store</c> names a PostgreSQL database (rather than <c>litedb</c>).</summary>
    public static bool IsUri(string store) =>
        store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URI as Npgsql's settings; <see cref="StoreOptionException"/> naming what is wrong otherwise.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        int schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (!IsUri(uri))
        {
            throw Problem("expected postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…]");
        }

        string rest = uri[(schemeEnd + 3)..];
        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw Problem("a URI fragment (#…) has no meaning here");
        }

        string? query = null;
        int q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash >= 0 ? rest[..slash] : rest;
        string? path = slash >= 0 ? rest[(slash + 1)..] : null;

        var b = new NpgsqlConnectionStringBuilder();
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = authority[..at];
            authority = authority[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            string user = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "the user name");
            if (user.Length > 0)
            {
                b.Username = user;
            }

            if (colon >= 0)
            {
                b.Password = Decode(userInfo[(colon + 1)..], "the password");
            }
        }

        HostAndPort(authority, b);
        if (!string.IsNullOrEmpty(path))
        {
            b.Database = Decode(path, "the database name");
        }

        if (!string.IsNullOrEmpty(query))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                string key = Decode(eq >= 0 ? pair[..eq] : pair, "a query parameter's name");
                if (eq < 0)
                {
                    throw Problem($"query parameter '{key}' has no value (expected {key}=…)");
                }

                if (!seen.Add(key))
                {
                    throw Problem($"query parameter '{key}' is given twice");
                }

                Set(b, key, Decode(pair[(eq + 1)..], key is "password" or "sslpassword" ? $"the {key} parameter" : $"query parameter '{key}'"));
            }
        }

        if (string.IsNullOrEmpty(b.Host))
        {
            throw Problem("no host: give postgresql://USER@HOST/DB, or ?host=/socket/directory");
        }

        return b;
    }

    private static void HostAndPort(string authority, NpgsqlConnectionStringBuilder b)
    {
        if (authority.Length == 0)
        {
            return;
        }

        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Problem("an IPv6 host opened with '[' lacks its ']'");
            }

            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                port = after.StartsWith(':') ? after[1..] : throw Problem("expected :PORT after an IPv6 host's ']'");
            }
        }
        else
        {
            if (authority.Contains(',', StringComparison.Ordinal))
            {
                throw Problem("several hosts are not supported: give one HOST[:PORT]");
            }

            int colon = authority.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && authority.IndexOf(':', colon + 1) >= 0)
            {
                throw Problem("an IPv6 host goes in brackets: postgresql://USER@[::1]:5432/DB");
            }

            host = colon >= 0 ? authority[..colon] : authority;
            port = colon >= 0 ? authority[(colon + 1)..] : null;
        }

        host = Decode(host, "the host");
        if (host.Length > 0)
        {
            b.Host = host;
        }

        b.Port = port is null or "" ? DefaultPort : Port(port, "the port");
    }

    // The text is not echoed: in a URI whose password holds a raw '/', what looks like the port is part of the password.
    private static int Port(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535
            ? port
            : throw Problem($"{what}: expected a number from 1 to 65535 (a password holding '/', '?', '@' or ':' is percent-encoded: %2F, %3F, %40, %3A)");

    private static int Seconds(string key, string text, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s <= max
            ? s
            : throw Problem($"query parameter '{key}': expected whole seconds from 0 to {max}, got '{text}'");

    private static void Set(NpgsqlConnectionStringBuilder b, string key, string value)
    {
        switch (key)
        {
            case "host": b.Host = value; break;
            case "port": b.Port = Port(value, "query parameter 'port'"); break;
            case "dbname": b.Database = value; break;
            case "user": b.Username = value; break;
            case "password": b.Password = value; break;
            case "passfile": b.Passfile = value; break;
            case "options": b.Options = value; break;
            case "application_name": b.ApplicationName = value; break;
            case "client_encoding": b.ClientEncoding = value; break;

            // Npgsql's Timeout bounds the wait for a connection as connect_timeout does (0: none).
            case "connect_timeout": b.Timeout = Seconds(key, value, 1024); break;
            case "sslmode":
                b.SslMode = value switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw Problem($"query parameter 'sslmode': expected disable, allow, prefer, require, verify-ca or verify-full, got '{value}'"),
                };
                break;
            case "sslrootcert": b.RootCertificate = value; break;
            case "sslcert": b.SslCertificate = value; break;
            case "sslkey": b.SslKey = value; break;
            case "sslpassword": b.SslPassword = value; break;
            case "channel_binding":
                b.ChannelBinding = value switch
                {
                    "disable" => ChannelBinding.Disable,
                    "prefer" => ChannelBinding.Prefer,
                    "require" => ChannelBinding.Require,
                    _ => throw Problem($"query parameter 'channel_binding': expected disable, prefer or require, got '{value}'"),
                };
                break;
            case "target_session_attrs":
                b.TargetSessionAttributes = value is "any" or "read-write" or "read-only" or "primary" or "standby" or "prefer-standby"
                    ? value
                    : throw Problem($"query parameter 'target_session_attrs': expected any, read-write, read-only, primary, standby or prefer-standby, got '{value}'");
                break;
            case "keepalives":
                b.TcpKeepAlive = value switch
                {
                    "1" => true,
                    "0" => false,
                    _ => throw Problem($"query parameter 'keepalives': expected 0 or 1, got '{value}'"),
                };
                break;
            case "keepalives_idle": b.TcpKeepAliveTime = Seconds(key, value, int.MaxValue / 1000); break;
            case "keepalives_interval": b.TcpKeepAliveInterval = Seconds(key, value, int.MaxValue / 1000); break;
            default:
                throw Problem($"unknown query parameter '{key}' (known: {string.Join(", ", QueryKeys)})");
        }
    }

    /// <summary>Percent-decodes one part; <paramref name="what"/> names it in an error, never its text (it may be a password).</summary>
    private static string Decode(string part, string what)
    {
        if (!part.Contains('%', StringComparison.Ordinal))
        {
            return part;
        }

        var text = new StringBuilder(part.Length);
        var bytes = new List<byte>();
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (int i = 0; i <= part.Length; i++)
        {
            if (i < part.Length && part[i] == '%')
            {
                if (i + 2 >= part.Length || !byte.TryParse(part.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
                {
                    throw Problem($"{what}: '%' must be followed by two hex digits");
                }

                bytes.Add(value);
                i += 2;
                continue;
            }

            // A run of %XX ends: its bytes are one UTF-8 text.
            if (bytes.Count > 0)
            {
                try
                {
                    text.Append(utf8.GetString([.. bytes]));
                }
                catch (DecoderFallbackException)
                {
                    throw Problem($"{what}: the percent-encoded bytes are not UTF-8");
                }

                bytes.Clear();
            }

            if (i < part.Length)
            {
                text.Append(part[i]);
            }
        }

        return text.ToString();
    }

    /// <summary>The URI with its password (in the user part or a password/sslpassword parameter) replaced by <c>***</c>.</summary>
    public static string Redact(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        string redacted = UserPassword().Replace(uri, "$1***@");
        return PasswordParameter().Replace(redacted, "$1***");
    }

    private static StoreOptionException Problem(string message) => new("--store", message);

    // scheme://user:PASSWORD@ — the password ends at the last '@' before the path (it may itself hold a raw '@').
    [GeneratedRegex(@"^([a-zA-Z]+://[^:/?#@]*:)[^/?#]*@")]
    private static partial Regex UserPassword();

    [GeneratedRegex(@"([?&](?:password|sslpassword)=)[^&#]*")]
    private static partial Regex PasswordParameter();
}

/// <summary>A store option cannot be used: <see cref="Option"/> names it (or <c>PGPASSFILE</c>), the message the problem, never a password.</summary>
public sealed class StoreOptionException(string option, string problem) : Exception($"{option}: {problem}")
{
    public string Option { get; } = option;

    public string Problem { get; } = problem;
}
