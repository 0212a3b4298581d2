using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>The console's own page for an error status (the status itself is kept by the re-execution).</summary>
[IgnoreAntiforgeryToken]
public sealed class StatusModel : PageModel
{
    public string Title { get; private set; } = "";

    public void OnGet(int code) => Title = Describe(code);

    public void OnPost(int code) => Title = Describe(code);

    private static string Describe(int code) => code switch
    {
        400 => "要求を受け付けられません。ページを読み込み直してください / Bad request; reload the page and try again",
        403 => "このページを見る権限がありません / You may not see this page",
        404 => "ページが見つかりません / Page not found",
        _ => $"エラー {code} / Error {code}",
    };
}
