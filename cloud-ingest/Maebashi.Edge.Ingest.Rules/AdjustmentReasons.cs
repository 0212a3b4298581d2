namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// The reason codes of an operator's adjustment (docs/contract.md §6, <c>POST /api/v1/cards/{tok}/adjustments</c>), with
/// what the wallet's entry says: Japanese first, English beside it.
/// </summary>
public static class AdjustmentReasons
{
    /// <summary>The fare charged was wrong (a tariff or stop error).</summary>
    public const string FareError = "fare_error";

    /// <summary>A reader or terminal fault cost the passenger (a tap not taken, a double charge).</summary>
    public const string DeviceFault = "device_fault";

    /// <summary>The highest fare was charged for a tap-off the passenger shows they made.</summary>
    public const string MissedTapOff = "missed_tap_off";

    /// <summary>A refund of unused value (a card returned or replaced).</summary>
    public const string Refund = "refund";

    /// <summary>Anything else; the note says what.</summary>
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [FareError, DeviceFault, MissedTapOff, Refund, Other];

    public static bool IsKnown(string? reason) => reason is FareError or DeviceFault or MissedTapOff or Refund or Other;

    /// <summary>The reason as a passenger or clerk reads it.</summary>
    public static string Label(string? reason) => reason switch
    {
        FareError => "運賃の誤り / Fare error",
        DeviceFault => "機器の不具合 / Device fault",
        MissedTapOff => "降車タッチ漏れの訂正 / Missed tap-off corrected",
        Refund => "残額の払い戻し / Refund of value",
        _ => "その他 / Other",
    };

    /// <summary>The wallet entry's description of an adjustment.</summary>
    public static string Describe(string? reason) => "調整：" + Label(reason).Replace(" / ", " / Adjustment: ", StringComparison.Ordinal);
}
