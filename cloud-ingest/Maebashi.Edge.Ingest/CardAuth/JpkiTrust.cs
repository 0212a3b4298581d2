using Maebashi.Edge.CardAuth.Jpki;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.CardAuth;

/// <summary>Where the ingest's JPKI CRL stands, for the console and the metrics.</summary>
public enum JpkiCrlState
{
    /// <summary>No <c>--jpki-roots</c>/<c>--jpki-crl</c>: every My Number card's tap is refused.</summary>
    NotConfigured,

    /// <summary>The CRL is good for more than <see cref="JpkiTrust.WarnAhead"/>.</summary>
    Current,

    /// <summary>Less than <see cref="JpkiTrust.WarnAhead"/> to its next update: replace the file before then.</summary>
    ExpiresSoon,

    /// <summary>Past its next update: My Number cards are refused until a newer CRL is in the file.</summary>
    Outdated,
}

/// <summary>
/// The ingest's JPKI trust: the roots of <c>--jpki-roots</c> and the CRL of <c>--jpki-crl</c>, the CRL read again
/// whenever its file changes (polled every <see cref="PollInterval"/> on the injected clock). A new file that does not
/// parse or verify is logged and the last good CRL stays, so a bad copy never opens the door: its next update still
/// closes it.
/// </summary>
public sealed class JpkiTrust : IDisposable
{
    /// <summary>How often the CRL file is looked at for a change.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long before the CRL's next update the console and the metrics warn.</summary>
    public static readonly TimeSpan WarnAhead = TimeSpan.FromDays(1);

    private readonly string? _crlPath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _reload = new();
    private readonly ITimer? _timer;
    private volatile JpkiRevocationList? _crl;
    private (DateTime Written, long Length) _stamp;
    private JpkiCrlState _warned = JpkiCrlState.Current;

    private JpkiTrust(JpkiTrustAnchors? roots, string? crlPath, (DateTime, long) crlStamp, JpkiRevocationList? crl, TimeProvider time, ILogger logger)
    {
        Roots = roots;
        _crlPath = crlPath;
        _stamp = crlStamp;
        _crl = crl;
        _time = time;
        _logger = logger;
        if (crlPath is not null)
        {
            _timer = time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
        }
    }

    /// <summary>The roots, or null when the ingest was given none.</summary>
    public JpkiTrustAnchors? Roots { get; }

    /// <summary>The CRL in force (the last good one read).</summary>
    public JpkiRevocationList? Crl => _crl;

    /// <summary>
    /// Reads the roots and the CRL. Throws <see cref="JpkiTrustFileException"/> naming the file when either cannot be
    /// used, or when only one of the two is given (a root without a CRL could never check a revocation).
    /// </summary>
    public static JpkiTrust Create(string? rootsFile, string? crlFile, TimeProvider time, ILogger logger)
    {
        if (rootsFile is null && crlFile is null)
        {
            logger.LogWarning("No --jpki-roots and --jpki-crl: taps of My Number cards (tech jpki) are refused");
            return new JpkiTrust(null, null, default, null, time, logger);
        }

        if (rootsFile is null || crlFile is null)
        {
            throw new JpkiTrustFileException("--jpki-roots and --jpki-crl go together: give both (a root without its CRL cannot tell a revoked card)");
        }

        JpkiTrustAnchors roots = JpkiTrustAnchors.Load(rootsFile);
        try
        {
            // Stamped before it is read: a change made while it is read is seen by the next poll.
            (DateTime, long) stamp = Stamp(crlFile);
            JpkiRevocationList crl = JpkiRevocationList.Load(crlFile, roots);
            var trust = new JpkiTrust(roots, crlFile, stamp, crl, time, logger);
            logger.LogInformation("JPKI: {Roots} root(s); CRL of {Issuer} with {Count} revoked, next update {NextUpdate}", roots.Roots.Count, crl.Issuer.Name, crl.Count, crl.NextUpdate);
            trust.WarnIfDue();
            return trust;
        }
        catch
        {
            roots.Dispose();
            throw;
        }
    }

    /// <summary>Where the CRL stands at <paramref name="now"/>.</summary>
    public JpkiCrlState StateAt(DateTimeOffset now) => _crl switch
    {
        null => JpkiCrlState.NotConfigured,
        { NextUpdate: null } => JpkiCrlState.Current,
        { NextUpdate: { } next } when now > next => JpkiCrlState.Outdated,
        { NextUpdate: { } next } when next - now <= WarnAhead => JpkiCrlState.ExpiresSoon,
        _ => JpkiCrlState.Current,
    };

    /// <summary>Reads the CRL file again if it changed since it was last read; returns whether a new CRL is in force.</summary>
    public bool ReloadIfChanged()
    {
        if (_crlPath is null || Roots is null)
        {
            return false;
        }

        lock (_reload)
        {
            (DateTime, long) stamp = Stamp(_crlPath);
            if (stamp == _stamp)
            {
                return false;
            }

            _stamp = stamp;
            try
            {
                JpkiRevocationList crl = JpkiRevocationList.Load(_crlPath, Roots);
                _crl = crl;
                _logger.LogInformation("JPKI CRL reloaded from {File}: {Count} revoked, next update {NextUpdate}", _crlPath, crl.Count, crl.NextUpdate);
                return true;
            }
            catch (JpkiTrustFileException e)
            {
                _logger.LogWarning("JPKI CRL not reloaded, the last good one stays (next update {NextUpdate}): {Problem}", _crl?.NextUpdate, e.Message);
                return false;
            }
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        Roots?.Dispose();
    }

    private void Poll()
    {
        ReloadIfChanged();
        WarnIfDue();
    }

    /// <summary>Logs once each time the CRL comes within a day of its next update, or passes it.</summary>
    private void WarnIfDue()
    {
        JpkiCrlState state = StateAt(_time.GetUtcNow());
        if (state == _warned)
        {
            return;
        }

        _warned = state;
        if (state == JpkiCrlState.ExpiresSoon)
        {
            _logger.LogWarning("JPKI CRL {File} reaches its next update {NextUpdate} within a day: put a newer CRL in the file", _crlPath, _crl?.NextUpdate);
        }
        else if (state == JpkiCrlState.Outdated)
        {
            _logger.LogError("JPKI CRL {File} is past its next update {NextUpdate}: My Number cards are refused until a newer CRL is in the file", _crlPath, _crl?.NextUpdate);
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
