using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>The fleet, for every scope: the buses on their routes' lines, then each device's health, those offline too long first.</summary>
[Authorize(Policy = ScopePolicies.ConsoleOperator)]
public sealed class FleetModel(IngestQueries queries, BusLocations buses, TimeProvider time, JpkiTrust jpki) : PageModel
{
    /// <summary>The My Number card CRL's warning, or null while it is good for more than a day.</summary>
    public string? JpkiCrlWarning { get; private set; }

    /// <summary>The CRL's state, for the warning's <c>data-state</c>.</summary>
    public JpkiCrlState JpkiCrl { get; private set; }

    public IReadOnlyList<FleetRow> Rows { get; private set; } = [];

    /// <summary>The routes with a bus on them, each drawn as a line of its stops.</summary>
    public IReadOnlyList<RouteLine> Lines { get; private set; } = [];

    /// <summary>Buses with a fresh position on no route of the registry.</summary>
    public IReadOnlyList<LineBus> OffRoute { get; private set; } = [];

    public void OnGet()
    {
        DateTimeOffset now = time.GetUtcNow();
        Rows = FleetRow.Of(queries.Devices(), now);
        (Lines, OffRoute) = RouteLine.Of(buses.At(now));
        JpkiCrl = jpki.StateAt(now);
        JpkiCrlWarning = CrlWarning(JpkiCrl, jpki.Crl?.NextUpdate);
    }

    /// <summary>What the operators read about the CRL on the console's first page: a day ahead, and once it is too late.</summary>
    public static string? CrlWarning(JpkiCrlState state, DateTimeOffset? nextUpdate)
    {
        string due = nextUpdate is { } next ? JstText.Time(next) : "";
        return state switch
        {
            JpkiCrlState.ExpiresSoon => $"マイナンバーカードの失効リスト（CRL）は {due} に次回更新の期限を迎えます。それまでに新しいCRLを置いてください / The My Number card CRL reaches its next update at {due} (JST): put a newer CRL in place before then.",
            JpkiCrlState.Outdated => $"マイナンバーカードの失効リスト（CRL）は次回更新の期限 {due} を過ぎました。新しいCRLを置くまでマイナンバーカードは受け付けません / The My Number card CRL is past its next update {due} (JST): My Number cards are refused until a newer CRL is in place.",
            JpkiCrlState.NotConfigured => "マイナンバーカードの検証（--jpki-roots, --jpki-crl）が設定されていないため、マイナンバーカードは受け付けません / No JPKI roots and CRL (--jpki-roots, --jpki-crl): My Number cards are refused.",
            _ => null,
        };
    }
}
